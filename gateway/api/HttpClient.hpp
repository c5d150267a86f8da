#pragma once
// A small HTTP/1.1 client for loactl and the benchmarks: one request per connection, over TCP
// or TLS (OpenSSL, the server's certificate checked against a CA file unless told otherwise).

#include <optional>
#include <string>

namespace loa {

struct HttpResult {
    int status = 0;
    std::string body;
};

struct HttpTarget {
    std::string url;  ///< http://HOST:PORT or https://HOST:PORT (no path)
    std::string token;
    std::string caFile;     ///< for https: the CA that signed the server's certificate
    bool insecure = false;  ///< for https: do not check the certificate (tests only)
};

/// Sends one request and reads the whole answer; throws loa::Error if the server cannot be
/// reached or answers nothing HTTP.
HttpResult httpRequest(const HttpTarget& target, const std::string& method, const std::string& path,
                       const std::string& body = {});

}  // namespace loa
