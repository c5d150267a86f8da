#include "SegmentSource.hpp"

#include <ctime>
#include <iomanip>
#include <sstream>

#include "Schedule.hpp"
#include "common/Log.hpp"

namespace loa {
namespace {
constexpr std::string_view kSegmentSourceTag = "schedule";

std::string localTime(std::chrono::system_clock::time_point t) {
    const time_t tt = std::chrono::system_clock::to_time_t(t);
    tm local{};
    localtime_r(&tt, &local);
    std::ostringstream o;
    o << std::put_time(&local, "%Y-%m-%d %H:%M:%S %Z");
    return o.str();
}

void readOrSilence(PlaylistSource& playlist, std::span<float> frame) {
    const size_t got = playlist.read(frame);
    std::fill(frame.begin() + static_cast<std::ptrdiff_t>(got), frame.end(), 0.0f);
}
}  // namespace

SegmentSource::SegmentSource(const std::string& programmeId, std::string id, PriorityLevel level, int rank,
                             const SegmentSettings& settings, int channels)
    : BusSource(std::move(id), level, rank, settings.gainDb, std::nullopt),
      playlist_(programmeId, settings.playlist, channels) {}

void SegmentSource::read(std::span<float> frame) {
    readOrSilence(playlist_, frame);
}

ScheduledSource::ScheduledSource(const std::string& programmeId, const ScheduleEntry& entry, int channels,
                                 WallClock wall)
    : BusSource(entry.id, PriorityLevel::scheduled, entry.priority == SchedulePriority::bulletin ? 2 : 1, entry.gainDb,
                entry.duck),
      programmeId_(programmeId),
      entry_(entry),
      channels_(channels),
      wall_(std::move(wall)) {
    next_ = nextOccurrence(entry_, wall_() - kLateLimit);
    if (next_) {
        LOA_LOG(info, kSegmentSourceTag) << programmeId_ << ": " << entry_.id << " next at " << localTime(*next_);
    }
}

void ScheduledSource::prepare(TimePoint) {
    if (current_ && playing_ && current_->finished()) {
        LOA_LOG(info, kSegmentSourceTag) << programmeId_ << ": " << entry_.id << " finished";
        current_.reset();
        playing_ = false;
        ++runs_;
    }
    const auto now = wall_();
    if (current_ && !playing_ && next_ && now >= *next_) {
        playing_ = true;  // decoded ahead since the preroll: its audio starts with this frame
        LOA_LOG(info, kSegmentSourceTag) << programmeId_ << ": " << entry_.id << " starts ("
                            << (entry_.priority == SchedulePriority::bulletin ? "priority bulletin" : "normal") << ")";
        next_ = nextOccurrence(entry_, *next_);
        return;
    }
    if (!next_ || current_ || now + kPreroll < *next_) return;
    if (now - *next_ > kLateLimit) {
        LOA_LOG(warn, kSegmentSourceTag) << programmeId_ << ": " << entry_.id << " missed its start at " << localTime(*next_);
        next_ = nextOccurrence(entry_, now);
        return;
    }
    PlaylistSettings once{PlaylistMode::once, entry_.files};
    current_ = std::make_unique<PlaylistSource>(programmeId_ + "/" + entry_.id, once, channels_);
    current_->start();
}

std::string ScheduledSource::state() const {
    if (available()) return "playing";
    if (current_) return "starting";
    return next_ ? "next at " + localTime(*next_) : "no further occurrence";
}

void ScheduledSource::read(std::span<float> frame) {
    if (!current_) {
        std::fill(frame.begin(), frame.end(), 0.0f);
        return;
    }
    readOrSilence(*current_, frame);
}

}  // namespace loa
