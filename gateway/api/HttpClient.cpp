#include "api/HttpClient.hpp"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "common/Error.hpp"

namespace loa {
namespace {
struct Url {
    bool tls = false;
    std::string host, port;
};

Url parseUrl(const std::string& url) {
    Url u;
    std::string rest;
    if (url.rfind("https://", 0) == 0) {
        u.tls = true;
        rest = url.substr(8);
    } else if (url.rfind("http://", 0) == 0) {
        rest = url.substr(7);
    } else {
        throw Error("expected http://HOST:PORT or https://HOST:PORT, got '" + url + "'");
    }
    while (!rest.empty() && rest.back() == '/')
        rest.pop_back();
    const auto colon = rest.rfind(':');
    if (rest.front() == '[') {  // [v6]:port
        const auto close = rest.find(']');
        u.host = rest.substr(1, close - 1);
        u.port = close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "";
    } else {
        u.host = rest.substr(0, colon);
        u.port = colon == std::string::npos ? "" : rest.substr(colon + 1);
    }
    if (u.port.empty()) u.port = u.tls ? "443" : "80";
    return u;
}

int connectTo(const Url& u) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &found) != 0 || !found)
        throw Error("cannot resolve " + u.host);
    int fd = -1;
    for (auto* a = found; a && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) throw Error("cannot connect to " + u.host + ":" + u.port + ": " + std::strerror(errno));
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}
}  // namespace

HttpResult httpRequest(const HttpTarget& target, const std::string& method, const std::string& path,
                       const std::string& body) {
    const Url u = parseUrl(target.url);
    const int fd = connectTo(u);
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(nullptr, SSL_CTX_free);
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(nullptr, SSL_free);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    if (u.tls) {
        ctx.reset(SSL_CTX_new(TLS_client_method()));
        if (!target.insecure) {
            SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
            if (target.caFile.empty() ? SSL_CTX_set_default_verify_paths(ctx.get()) != 1
                                      : SSL_CTX_load_verify_locations(ctx.get(), target.caFile.c_str(), nullptr) != 1)
                throw Error("cannot load the CA file '" + target.caFile + "'");
        }
        ssl.reset(SSL_new(ctx.get()));
        SSL_set_fd(ssl.get(), fd);
        SSL_set_tlsext_host_name(ssl.get(), u.host.c_str());
        if (!target.insecure) SSL_set1_host(ssl.get(), u.host.c_str());
        if (SSL_connect(ssl.get()) != 1) {
            char why[256];
            ERR_error_string_n(ERR_get_error(), why, sizeof why);
            throw Error("TLS with " + u.host + " failed: " + why);
        }
    }
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + u.host + "\r\nConnection: close\r\n";
    if (!target.token.empty()) request += "Authorization: Bearer " + target.token + "\r\n";
    if (!body.empty() || method == "POST") {
        request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n" + body;
    auto send = [&](const char* p, size_t n) {
        return ssl ? SSL_write(ssl.get(), p, static_cast<int>(n)) : static_cast<int>(::send(fd, p, n, MSG_NOSIGNAL));
    };
    for (size_t done = 0; done < request.size();) {
        const int n = send(request.data() + done, request.size() - done);
        if (n <= 0) throw Error("the connection to " + u.host + " broke while sending");
        done += static_cast<size_t>(n);
    }
    std::string response;
    char buffer[4096];
    while (true) {
        const int n =
            ssl ? SSL_read(ssl.get(), buffer, sizeof buffer) : static_cast<int>(::recv(fd, buffer, sizeof buffer, 0));
        if (n <= 0) break;
        response.append(buffer, static_cast<size_t>(n));
    }
    HttpResult result;
    if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) throw Error("no HTTP answer from " + u.host);
    result.status = std::atoi(response.c_str() + 9);
    // An answer cut short (the server died mid-way) is no answer: the caller must not take a
    // status without its body for the outcome.
    const auto headersEnd = response.find("\r\n\r\n");
    if (headersEnd == std::string::npos) throw Error("the answer from " + u.host + " was cut short");
    result.body = response.substr(headersEnd + 4);
    // libwebsockets may answer in chunks: undo the chunking.
    const std::string headers = response.substr(0, headersEnd);
    std::string lower = headers;
    for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("transfer-encoding: chunked") != std::string::npos) {
        std::string plain;
        size_t at = 0;
        bool complete = false;
        while (at < result.body.size()) {
            const auto eol = result.body.find("\r\n", at);
            if (eol == std::string::npos) break;
            const size_t size = std::stoul(result.body.substr(at, eol - at), nullptr, 16);
            if (size == 0) {
                complete = true;
                break;
            }
            if (eol + 2 + size > result.body.size()) break;
            plain += result.body.substr(eol + 2, size);
            at = eol + 2 + size + 2;
        }
        if (!complete) throw Error("the answer from " + u.host + " was cut short");
        result.body = plain;
    } else if (const auto cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
        const size_t length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
        if (result.body.size() < length) throw Error("the answer from " + u.host + " was cut short");
        result.body.resize(length);
    }
    return result;
}

}  // namespace loa
