#include "net/SocketAddress.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace loa {

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) return std::nullopt;

    SocketAddress out;
    const std::string hostString(host);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage_);
    if (inet_pton(AF_INET, hostString.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(value));
        out.length_ = sizeof(sockaddr_in);
        return out;
    }
    if (inet_pton(AF_INET6, hostString.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(value));
        out.length_ = sizeof(sockaddr_in6);
        return out;
    }
    return std::nullopt;
}

SocketAddress SocketAddress::fromSockaddr(const sockaddr* sa, socklen_t len) {
    SocketAddress out;
    if (len > sizeof(out.storage_)) len = sizeof(out.storage_);
    std::memcpy(&out.storage_, sa, len);
    out.length_ = len;
    return out;
}

uint16_t SocketAddress::port() const {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

void SocketAddress::setPort(uint16_t port) {
    if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
    if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

bool SocketAddress::isLoopback() const {
    if (family() == AF_INET) {
        return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr) >> 24) == 127;
    }
    if (family() == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    return false;
}

bool SocketAddress::isUnspecified() const {
    if (family() == AF_INET) return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr == INADDR_ANY;
    if (family() == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    return true;
}

bool SocketAddress::isMulticast() const {
    if (family() == AF_INET) {
        return IN_MULTICAST(ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr));
    }
    if (family() == AF_INET6)
        return IN6_IS_ADDR_MULTICAST(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    return false;
}

std::string SocketAddress::host() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    } else if (family() == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf, sizeof buf);
    }
    return buf;
}

std::string SocketAddress::toString() const {
    // Appends rather than operator+: GCC 12 warns falsely (-Wrestrict) on the chained form.
    std::string out;
    if (family() == AF_INET6) out += '[';
    out += host();
    if (family() == AF_INET6) out += ']';
    out += ':';
    out += std::to_string(port());
    return out;
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
    if (a.family() != b.family()) return false;
    if (a.family() == AF_INET) {
        const auto* x = reinterpret_cast<const sockaddr_in*>(&a.storage_);
        const auto* y = reinterpret_cast<const sockaddr_in*>(&b.storage_);
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a.family() == AF_INET6) {
        const auto* x = reinterpret_cast<const sockaddr_in6*>(&a.storage_);
        const auto* y = reinterpret_cast<const sockaddr_in6*>(&b.storage_);
        return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return a.length_ == b.length_;
}

}  // namespace loa
