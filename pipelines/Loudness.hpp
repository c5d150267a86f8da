#pragma once
// Loudness normalisation on the bus: each source's level is followed over a few seconds (frames
// below a gate, pauses, are left out) and a slowly moving gain brings it to the programme's
// target, so segments and the live feed sound equally loud. A level meter, not a limiter.

#include <algorithm>
#include <cmath>
#include <span>

#include "ProgrammeOptions.hpp"

namespace loa {

class LoudnessFollower {
public:
    static constexpr double kGateDbfs = -50;     ///< quieter frames do not move the estimate
    static constexpr double kTimeConstantS = 3;  ///< of the level estimate
    static constexpr double kSlewDbPerS = 6;     ///< how fast the gain may move

    LoudnessFollower(const LoudnessSettings& settings, int frameMs)
        : settings_(settings), alpha_(frameMs / 1000.0 / kTimeConstantS), slewDb_(kSlewDbPerS * frameMs / 1000.0) {}

    /// Takes one frame of the source's audio (before any gain); returns the linear gain for it.
    float update(std::span<const float> frame) {
        double sum = 0;
        for (float x : frame)
            sum += static_cast<double>(x) * x;
        const double meanSquare = frame.empty() ? 0 : sum / static_cast<double>(frame.size());
        if (meanSquare > std::pow(10.0, kGateDbfs / 10)) {
            estimate_ = estimate_ < 0 ? meanSquare : estimate_ + alpha_ * (meanSquare - estimate_);
        }
        if (estimate_ > 0) {
            const double wanted = std::clamp(settings_.targetDbfs - 10 * std::log10(estimate_), -settings_.maxGainDb,
                                             settings_.maxGainDb);
            gainDb_ += std::clamp(wanted - gainDb_, -slewDb_, slewDb_);
        }
        return static_cast<float>(std::pow(10.0, gainDb_ / 20));
    }
    double gainDb() const { return gainDb_; }
    /// The followed level, dBFS (−120 before any audible frame).
    double levelDbfs() const { return estimate_ > 0 ? 10 * std::log10(estimate_) : -120; }

private:
    LoudnessSettings settings_;
    double alpha_;
    double slewDb_;
    double estimate_ = -1;  ///< mean square; negative: nothing heard yet
    double gainDb_ = 0;
};

}  // namespace loa
