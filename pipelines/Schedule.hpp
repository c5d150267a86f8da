#pragma once
// When a schedule entry plays: its time of day in the process's time zone (the gateway sets TZ
// from its config at start), every day, on given weekdays, or on one date.

#include <chrono>
#include <optional>

#include "ProgrammeOptions.hpp"

namespace loa {

/// The first start of `entry` strictly after `after`, or nullopt if there is none (a one-off
/// entry in the past). Local times that do not exist (a daylight-saving gap) move forward.
std::optional<std::chrono::system_clock::time_point> nextOccurrence(const ScheduleEntry& entry,
                                                                    std::chrono::system_clock::time_point after);

/// Sets the process's time zone (before any thread starts). Empty: leave the system's.
void setProcessTimeZone(const std::string& name);
/// The zone the schedule's times are in: TZ (as setProcessTimeZone left it), else the system's.
std::string processTimeZoneName();

}  // namespace loa
