#pragma once
// The programme priority a packet carries in its one-byte header extension (DESIGN.md).

#include <cstdint>
#include <string_view>

namespace loa {

/// Lower value, higher priority. The numeric value is what goes on the wire.
enum class PriorityLevel : uint8_t { emergency = 1, live = 2, upstream = 3, scheduled = 4, filler = 5 };

constexpr std::string_view toString(PriorityLevel p) {
    switch (p) {
        case PriorityLevel::emergency:
            return "emergency";
        case PriorityLevel::live:
            return "live";
        case PriorityLevel::upstream:
            return "upstream";
        case PriorityLevel::scheduled:
            return "scheduled";
        case PriorityLevel::filler:
            return "filler";
    }
    return "unknown";
}

constexpr bool isValidPriority(uint8_t v) {
    return v >= 1 && v <= 5;
}

}  // namespace loa
