#include "net/AddressPattern.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace loa {
namespace {
std::optional<unsigned> number(std::string_view text, unsigned max) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
    return value;
}
}  // namespace

std::optional<AddressPattern> AddressPattern::parse(std::string_view text) {
    AddressPattern p;
    p.text_ = std::string(text);
    std::string_view host = text;
    std::optional<unsigned> prefix;
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        host = text.substr(0, slash);
        prefix = number(text.substr(slash + 1), 128);
        if (!prefix) return std::nullopt;
    } else if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return std::nullopt;
            const auto port = number(text.substr(close + 2), 65535);
            if (!port || *port == 0) return std::nullopt;
            p.port_ = static_cast<uint16_t>(*port);
        }
    } else if (const auto colon = text.find(':'); colon != std::string_view::npos && text.rfind(':') == colon) {
        host = text.substr(0, colon);  // IPv4 with a port (an IPv6 address has several colons)
        const auto port = number(text.substr(colon + 1), 65535);
        if (!port || *port == 0) return std::nullopt;
        p.port_ = static_cast<uint16_t>(*port);
    }
    const std::string hostString(host);
    if (inet_pton(AF_INET, hostString.c_str(), p.bytes_.data()) == 1) {
        p.family_ = AF_INET;
        p.prefixBits_ = 32;
    } else if (inet_pton(AF_INET6, hostString.c_str(), p.bytes_.data()) == 1) {
        p.family_ = AF_INET6;
        p.prefixBits_ = 128;
    } else {
        return std::nullopt;
    }
    if (prefix) {
        if (static_cast<int>(*prefix) > p.prefixBits_) return std::nullopt;
        p.prefixBits_ = static_cast<int>(*prefix);
    }
    return p;
}

bool AddressPattern::matches(const SocketAddress& address) const {
    if (address.family() != family_) return false;
    if (port_ && address.port() != port_) return false;
    const uint8_t* bytes = nullptr;
    if (family_ == AF_INET) {
        bytes = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(address.sockaddrPtr())->sin_addr);
    } else {
        bytes =
            reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(address.sockaddrPtr())->sin6_addr);
    }
    const int whole = prefixBits_ / 8, rest = prefixBits_ % 8;
    if (std::memcmp(bytes, bytes_.data(), static_cast<size_t>(whole)) != 0) return false;
    if (rest == 0) return true;
    const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (bytes[whole] & mask) == (bytes_[whole] & mask);
}

}  // namespace loa
