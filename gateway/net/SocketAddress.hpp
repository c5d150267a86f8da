#pragma once
// An IPv4 or IPv6 UDP endpoint: "127.0.0.1:5004" or "[::1]:5004". Numeric only, no DNS.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loa {

class SocketAddress {
public:
    SocketAddress() = default;
    static std::optional<SocketAddress> parse(std::string_view text);
    static SocketAddress fromSockaddr(const sockaddr* sa, socklen_t len);

    const sockaddr* sockaddrPtr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
    socklen_t length() const { return length_; }
    int family() const { return storage_.ss_family; }
    uint16_t port() const;
    void setPort(uint16_t port);
    bool isLoopback() const;
    /// 0.0.0.0 or ::, the "any address" of a bound socket.
    bool isUnspecified() const;
    bool isMulticast() const;
    std::string host() const;
    std::string toString() const;

    friend bool operator==(const SocketAddress& a, const SocketAddress& b);

    /// The bytes a sender reads of it, from its start: the length and an IPv4 or IPv6 address.
    static constexpr size_t usedBytes();

private:
    // The length first: a sender reads it with the address's first bytes, in one cache line.
    socklen_t length_ = 0;
    sockaddr_storage storage_{};
};

constexpr size_t SocketAddress::usedBytes() {
    return offsetof(SocketAddress, storage_) + sizeof(sockaddr_in6);
}

}  // namespace loa
