#pragma once
// One input of a programme bus: the studio, the parent gateway, a playlist, a scheduled
// segment or the filler. The bus asks every source to prepare once per frame, puts the highest
// available one on air and reads audio only from the sources it is mixing.

#include <chrono>
#include <cmath>
#include <optional>
#include <span>
#include <string>

#include "ingest/IngestOptions.hpp"
#include "rtp/PriorityLevel.hpp"

namespace loa {

class BusSource {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    BusSource(std::string id, PriorityLevel level, int rank, double gainDb, std::optional<DuckSettings> duck)
        : id_(std::move(id)),
          level_(level),
          rank_(rank),
          gain_(static_cast<float>(std::pow(10.0, gainDb / 20.0))),
          duck_(duck) {}
    virtual ~BusSource() = default;
    BusSource(const BusSource&) = delete;
    BusSource& operator=(const BusSource&) = delete;

    const std::string& id() const { return id_; }
    /// The level it plays at now; lower is higher priority.
    virtual PriorityLevel level() const { return level_; }
    /// Order within a level: higher first (a priority bulletin before a normal segment).
    int rank() const { return rank_; }
    /// Linear gain the bus applies to its audio.
    float gain() const { return gain_; }
    /// Set when it plays over the source below (attenuated) instead of replacing it.
    const std::optional<DuckSettings>& duck() const { return duck_; }

    /// Once per frame, whether on air or not, before the bus chooses (`tick` is the frame's
    /// deadline on the programme clock).
    virtual void prepare(TimePoint tick) { (void)tick; }
    /// True while it would deliver programme audio.
    virtual bool available() const = 0;
    /// Its condition in words, for the switch log ("no packets for 620 ms", "finished").
    virtual std::string state() const = 0;
    /// Fills every sample of `frame` (interleaved) with its next frame of audio.
    virtual void read(std::span<float> frame) = 0;

private:
    std::string id_;
    PriorityLevel level_;
    int rank_;
    float gain_;
    std::optional<DuckSettings> duck_;
};

/// The floor of every bus: silence, always available, so stations never lose the stream.
class SilenceSource final : public BusSource {
public:
    SilenceSource() : BusSource("silence", PriorityLevel::filler, -1000, 0, std::nullopt) {}
    bool available() const override { return true; }
    std::string state() const override { return "silence"; }
    void read(std::span<float> frame) override { std::fill(frame.begin(), frame.end(), 0.0f); }
};

}  // namespace loa
