#pragma once
// What a programme is: its encoder, sources, loudness and schedule entries (the pipelines'
// options, mapped from the config by the app).

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ingest/IngestOptions.hpp"

namespace loa {

/// Opus's coding mode: lowdelay (CELT only) looks ahead 2.5 ms instead of 6.5 ms.
enum class OpusApplication { audio, voip, lowdelay };

struct EncoderSettings {
    int bitrate = 32000;  ///< bits per second
    int channels = 1;     ///< 1 or 2
    int complexity = 5;   ///< 0..10
    int frameMs = 20;     ///< 10, 20, 40 or 60
    OpusApplication application = OpusApplication::audio;
    int samplesPerFrame() const { return 48 * frameMs; }
    bool operator==(const EncoderSettings&) const = default;
};

enum class PlaylistMode { loop, once, shuffle };

struct PlaylistSettings {
    PlaylistMode mode = PlaylistMode::loop;
    std::vector<std::filesystem::path> files;  ///< absolute, resolved against the config file
    bool operator==(const PlaylistSettings&) const = default;
};

/// Loudness normalisation of every source of a programme to one target level.
struct LoudnessSettings {
    double targetDbfs = -20;  ///< mean level of audible passages (RMS, dBFS)
    double maxGainDb = 10;    ///< the most it raises or lowers a source
    bool operator==(const LoudnessSettings&) const = default;
};

/// Segments: a playlist at the scheduled level, or the filler loop.
struct SegmentSettings {
    PlaylistSettings playlist;
    double gainDb = 0;
    bool operator==(const SegmentSettings&) const = default;
};

struct ProgrammeSettings {
    std::string id;
    std::string name;
    int payloadType = 96;
    EncoderSettings encoder;
    int crossfadeMs = 50;                      ///< every switch between sources
    std::optional<LoudnessSettings> loudness;  ///< none: sources play at their own level
    std::optional<IngestSettings> live;        ///< the studio feed (priority live)
    std::optional<IngestSettings> upstream;    ///< the parent gateway (priority upstream, or its own)
    std::optional<SegmentSettings> playlist;   ///< continuous segments (priority scheduled)
    std::optional<SegmentSettings> filler;     ///< none: silence
    bool operator==(const ProgrammeSettings&) const = default;
};

enum class SchedulePriority { normal, bulletin };

/// One entry of the schedule: files played once, at a time of day in the gateway's time zone,
/// every day, on some weekdays, or on one date.
struct ScheduleEntry {
    std::string id;
    std::string programme;
    int secondOfDay = 0;
    uint8_t weekdays = 0;                    ///< bit d for weekday d (0 = Sunday); 0 with no date: every day
    std::optional<std::array<int, 3>> date;  ///< year, month, day: one-off
    std::vector<std::filesystem::path> files;
    SchedulePriority priority = SchedulePriority::normal;
    double gainDb = 0;
    std::optional<DuckSettings> duck;
    bool operator==(const ScheduleEntry&) const = default;
};

}  // namespace loa
