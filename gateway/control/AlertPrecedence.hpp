#pragma once
// Precedence between alerts, in one place (docs/emergency.md has the table):
//   1. status: actual > exercise > test;
//   2. between equal statuses, an alert from a parent gateway (relayed) > one of this gateway's own;
//   3. then the newer.
// A station listed by several alerts hears the one that outranks the others. An alert may take
// another's emergency slot only by (1) or (2): never by being newer, so a test can never take
// an actual alert's slot, nor a local alert its parent's.

#include <cstdint>

#include "rtp/RtpPacket.hpp"

namespace loa {

struct AlertStanding {
    AlertStatus status = AlertStatus::actual;
    bool fromParent = false;  ///< relayed from the upstream: a higher origin
    uint64_t sequence = 0;    ///< order of going on air in this run: the newer is higher

    /// Rules 1 and 2: outranks `other` whatever their age.
    bool above(const AlertStanding& other) const {
        if (status != other.status) return static_cast<uint8_t>(status) < static_cast<uint8_t>(other.status);
        return fromParent && !other.fromParent;
    }
    /// Rules 1 to 3: what a station listed by both hears.
    bool heardOver(const AlertStanding& other) const {
        if (above(other)) return true;
        if (other.above(*this)) return false;
        return sequence > other.sequence;
    }
};

}  // namespace loa
