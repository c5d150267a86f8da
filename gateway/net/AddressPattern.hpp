#pragma once
// Where a feed's packets may come from: an address ("10.77.1.2", "[fd00::2]"), an address and
// port ("10.77.1.2:5004", "[fd00::2]:5004") or a network ("10.77.0.0/16", "fd00::/8").
// Numeric only, no DNS.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/SocketAddress.hpp"

namespace loa {

class AddressPattern {
public:
    static std::optional<AddressPattern> parse(std::string_view text);
    bool matches(const SocketAddress& address) const;
    std::string toString() const { return text_; }
    friend bool operator==(const AddressPattern& a, const AddressPattern& b) { return a.text_ == b.text_; }

private:
    int family_ = 0;
    std::array<uint8_t, 16> bytes_{};
    int prefixBits_ = 0;
    uint16_t port_ = 0;  ///< 0: any port
    std::string text_;
};

}  // namespace loa
