#pragma once
// The programme bus: every frame, the highest available source goes on air (emergency > live >
// upstream > scheduled, bulletins before normal segments > filler). A switch is a crossfade, a
// ducking source plays over the one below it with that one attenuated, and every gain moves
// sample by sample along a ramp: no click, no gap. A source the bus is not mixing is not read,
// so a playlist resumes where it was; a live feed keeps its own clock and is never behind.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "BusSource.hpp"
#include "Loudness.hpp"

namespace loa {

class ProgrammeBus {
public:
    struct Counters {
        uint64_t switches = 0;     ///< changes of the source on air
        uint64_t preemptions = 0;  ///< a higher source took over
        uint64_t yields = 0;       ///< the source on air stopped being available
    };

    /// With `loudness`, every source is brought to its target level (see Loudness.hpp).
    ProgrammeBus(std::string programmeId, int channels, int frameSamples, int crossfadeMs,
                 std::optional<LoudnessSettings> loudness = std::nullopt);

    /// Adds a source (the bus owns it). Between frames only.
    BusSource& add(std::unique_ptr<BusSource> source);
    /// Removes the source with `id`, if present: it is no longer chosen, fades out over a
    /// crossfade if it is being heard, and is destroyed once silent.
    void remove(const std::string& id);
    BusSource* find(const std::string& id);
    template <class F>
    void forEachSource(F&& f) const {
        for (const auto& c : channels_)
            f(*c.source);
    }

    /// Prepares every source, chooses, and mixes one frame (frameSamples × channels) into
    /// `out`. Returns the level on air.
    PriorityLevel mix(std::span<float> out, BusSource::TimePoint tick);

    const BusSource* onAir() const { return onAir_; }
    const Counters& counters() const { return counters_; }

private:
    struct Channel {
        std::unique_ptr<BusSource> source;
        float gain = 0;    ///< current, linear
        float target = 0;  ///< where the ramp goes
        float step = 0;    ///< per sample
        std::optional<LoudnessFollower> loudness;
        bool leaving = false;  ///< removed: fading out, then destroyed
    };
    void retarget(Channel& c, float target, int rampMs);
    Channel* choose();

    std::string programmeId_;
    int channels_count_;
    int frameSamples_;
    int crossfadeMs_;
    std::optional<LoudnessSettings> loudness_;
    std::vector<Channel> channels_;
    BusSource* onAir_ = nullptr;
    std::optional<DuckSettings> ducking_;  ///< the ducker now on air, if any (a copy: it may be removed)
    std::vector<float> scratch_;
    Counters counters_;
};

}  // namespace loa
