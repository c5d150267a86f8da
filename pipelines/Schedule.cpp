#include "Schedule.hpp"

#include <cstdlib>
#include <filesystem>

#include <stdlib.h>
#include <time.h>

namespace loa {

std::optional<std::chrono::system_clock::time_point> nextOccurrence(const ScheduleEntry& entry,
                                                                    std::chrono::system_clock::time_point after) {
    using std::chrono::system_clock;
    const time_t afterT = system_clock::to_time_t(after);
    const auto at = [&](int year, int month, int day) {
        tm t{};
        t.tm_year = year - 1900;
        t.tm_mon = month - 1;
        t.tm_mday = day;
        t.tm_hour = entry.secondOfDay / 3600;
        t.tm_min = entry.secondOfDay / 60 % 60;
        t.tm_sec = entry.secondOfDay % 60;
        t.tm_isdst = -1;
        return std::pair{mktime(&t), t.tm_wday};
    };
    if (entry.date) {
        const auto [when, weekday] = at((*entry.date)[0], (*entry.date)[1], (*entry.date)[2]);
        (void)weekday;
        if (when == -1 || system_clock::from_time_t(when) <= after) return std::nullopt;
        return system_clock::from_time_t(when);
    }
    tm today{};
    localtime_r(&afterT, &today);
    for (int offset = 0; offset <= 8; ++offset) {
        // mktime normalises day overflow into the following months.
        const auto [when, weekday] = at(today.tm_year + 1900, today.tm_mon + 1, today.tm_mday + offset);
        if (when == -1 || system_clock::from_time_t(when) <= after) continue;
        if (entry.weekdays == 0 || (entry.weekdays & (1u << weekday))) return system_clock::from_time_t(when);
    }
    return std::nullopt;
}

std::string processTimeZoneName() {
    if (const char* tz = std::getenv("TZ"); tz && *tz) return *tz == ':' ? tz + 1 : tz;
    std::error_code ec;
    const auto target = std::filesystem::read_symlink("/etc/localtime", ec).string();
    if (const auto at = target.find("zoneinfo/"); !ec && at != std::string::npos) return target.substr(at + 9);
    return std::filesystem::exists("/etc/localtime", ec) ? "the system's (/etc/localtime)" : "UTC";
}

void setProcessTimeZone(const std::string& name) {
    if (name.empty()) return;
    setenv("TZ", name.c_str(), 1);
    tzset();
}

}  // namespace loa
