#include "ProgrammeBus.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/Log.hpp"

namespace loa {
namespace {
constexpr std::string_view kProgrammeBusTag = "bus";

/// Equal-power fade curve: sin(g·π/2) rises as cos falls.
float shaped(float g) {
    return std::sin(g * std::numbers::pi_v<float> / 2);
}
float unshaped(float heard) {
    return std::asin(heard) * 2 / std::numbers::pi_v<float>;
}

bool higher(const BusSource& a, const BusSource& b) {
    if (a.level() != b.level()) return a.level() < b.level();
    return a.rank() > b.rank();
}
}  // namespace

ProgrammeBus::ProgrammeBus(std::string programmeId, int channels, int frameSamples, int crossfadeMs,
                           std::optional<LoudnessSettings> loudness)
    : programmeId_(std::move(programmeId)),
      channels_count_(channels),
      frameSamples_(frameSamples),
      crossfadeMs_(crossfadeMs),
      loudness_(loudness),
      scratch_(static_cast<size_t>(frameSamples * channels)) {}

BusSource& ProgrammeBus::add(std::unique_ptr<BusSource> source) {
    auto& c = channels_.emplace_back();
    c.source = std::move(source);
    if (loudness_) c.loudness.emplace(*loudness_, frameSamples_ / 48);
    return *c.source;
}

void ProgrammeBus::remove(const std::string& id) {
    const auto it = std::find_if(channels_.begin(), channels_.end(),
                                 [&](const auto& c) { return !c.leaving && c.source->id() == id; });
    if (it == channels_.end()) return;
    if (it->gain == 0) {
        if (onAir_ == it->source.get()) onAir_ = nullptr;
        channels_.erase(it);
    } else {
        it->leaving = true;  // chosen no more; mix() fades it out and lets it go
    }
}

BusSource* ProgrammeBus::find(const std::string& id) {
    for (auto& c : channels_)
        if (!c.leaving && c.source->id() == id) return c.source.get();
    return nullptr;
}

ProgrammeBus::Channel* ProgrammeBus::choose() {
    Channel* best = nullptr;
    for (auto& c : channels_) {  // ties: the one added first
        if (!c.leaving && c.source->available() && (!best || higher(*c.source, *best->source))) best = &c;
    }
    return best;
}

void ProgrammeBus::retarget(Channel& c, float target, int rampMs) {
    if (c.target == target) return;
    c.target = target;
    const float samples = static_cast<float>(rampMs) * 48.0f;
    c.step = samples > 0 ? std::abs(target - c.gain) / samples : 1.0f;
}

PriorityLevel ProgrammeBus::mix(std::span<float> out, BusSource::TimePoint tick) {
    for (auto& c : channels_)
        c.source->prepare(tick);

    Channel* top = choose();
    BusSource* next = top ? top->source.get() : nullptr;
    if (next != onAir_) {
        ++counters_.switches;
        std::string reason;
        const bool removed = std::any_of(channels_.begin(), channels_.end(),
                                         [&](const Channel& c) { return c.leaving && c.source.get() == onAir_; });
        if (!onAir_) {
            reason = "start";
        } else if (removed) {
            reason = onAir_->id() + " removed";
        } else if (!onAir_->available()) {
            ++counters_.yields;
            reason = onAir_->id() + " " + onAir_->state();
        } else {
            ++counters_.preemptions;
            reason = "preempts " + onAir_->id() + " (" + std::string(toString(onAir_->level())) + ")";
        }
        LOA_LOG(info, kProgrammeBusTag) << programmeId_ << ": on air: " << (next ? next->id() : "nothing") << " ("
                            << (next ? toString(next->level()) : "-") << "): " << reason;
        onAir_ = next;
    }

    // The source underneath a ducker: the best available one below it.
    Channel* under = nullptr;
    if (top && top->source->duck()) {
        for (auto& c : channels_) {
            if (&c != top && !c.leaving && c.source->available() && !higher(*c.source, *top->source) &&
                (!under || higher(*c.source, *under->source)))
                under = &c;
        }
    }
    const std::optional<DuckSettings> duck = top ? top->source->duck() : std::nullopt;
    // Ramps are linear in `gain`; what is heard is shaped(gain), so a crossfade of two unrelated
    // sources keeps constant power. The duck level is set in that shaped scale.
    const float duckGain = duck ? unshaped(static_cast<float>(std::pow(10.0, duck->gainDb / 20.0))) : 1.0f;
    for (auto& c : channels_) {
        if (&c == top) {
            // Back to full level from under a ducker: the ducker's release; otherwise a crossfade.
            const bool wasDucked = c.target > 0 && c.target < 1 && ducking_;
            retarget(c, 1.0f, wasDucked ? ducking_->releaseMs : crossfadeMs_);
        } else if (&c == under) {
            const bool wasFull = c.target == 1.0f;
            retarget(c, duckGain, wasFull ? duck->attackMs : crossfadeMs_);
        } else {
            retarget(c, 0.0f, crossfadeMs_);
        }
    }
    ducking_ = duck;

    std::fill(out.begin(), out.end(), 0.0f);
    const size_t frames = out.size() / static_cast<size_t>(channels_count_);
    for (auto& c : channels_) {
        if (c.gain == 0 && c.target == 0) continue;  // silent and staying so: not read, paused
        c.source->read(scratch_);
        const float fixed = c.source->gain() * (c.loudness ? c.loudness->update(scratch_) : 1.0f);
        float g = shaped(c.gain) * fixed;
        for (size_t i = 0; i < frames; ++i) {
            if (c.gain != c.target) {
                c.gain = c.gain < c.target ? std::min(c.target, c.gain + c.step) : std::max(c.target, c.gain - c.step);
                g = shaped(c.gain) * fixed;
            }
            for (int ch = 0; ch < channels_count_; ++ch) {
                const size_t k = i * static_cast<size_t>(channels_count_) + static_cast<size_t>(ch);
                out[k] += g * scratch_[k];
            }
        }
    }
    for (auto& x : out)
        x = std::clamp(x, -1.0f, 1.0f);
    std::erase_if(channels_, [&](const Channel& c) {
        const bool gone = c.leaving && c.gain == 0;
        if (gone && onAir_ == c.source.get()) onAir_ = nullptr;
        return gone;
    });
    return top ? top->source->level() : PriorityLevel::filler;
}

}  // namespace loa
