#pragma once
// systemd's notify protocol (sd_notify(3)): READY=1, WATCHDOG=1, STATUS=..., STOPPING=1.
// A datagram to $NOTIFY_SOCKET; a no-op when not run by systemd.

#include <chrono>
#include <optional>
#include <string_view>

namespace loa::systemd {

/// Sends `state`; returns false if there is no notify socket or the send failed.
bool notify(std::string_view state);
/// The watchdog interval systemd asked for ($WATCHDOG_USEC), if any.
std::optional<std::chrono::microseconds> watchdogInterval();

}  // namespace loa::systemd
