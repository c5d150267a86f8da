#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "ProgrammeBus.hpp"

using namespace loa;

namespace {
constexpr int kBusFrame = 960;
constexpr float kAmplitude = 0.5f;

/// A sine of its own frequency; the test switches it on and off. Counts the frames read.
class ToneSource final : public BusSource {
public:
    ToneSource(std::string id, PriorityLevel level, double hz, int rank = 0, std::optional<DuckSettings> duck = {},
               float amplitude = kAmplitude)
        : BusSource(std::move(id), level, rank, 0, duck), hz_(hz), amplitude_(amplitude) {}
    bool on = true;
    uint64_t reads = 0;
    bool available() const override { return on; }
    std::string state() const override { return on ? "on" : "off"; }
    void read(std::span<float> frame) override {
        ++reads;
        for (auto& x : frame) {
            x = amplitude_ *
                static_cast<float>(std::sin(2 * std::numbers::pi * hz_ * static_cast<double>(n_++) / 48000));
        }
    }

private:
    double hz_;
    float amplitude_;
    uint64_t n_ = 0;
};

struct Mixed {
    std::vector<float> audio;
    std::vector<PriorityLevel> levels;
    std::vector<std::string> onAir;
};

void mixFrames(ProgrammeBus& bus, int frames, Mixed& run) {
    std::vector<float> out(kBusFrame);
    for (int i = 0; i < frames; ++i) {
        run.levels.push_back(bus.mix(out, {}));
        run.onAir.push_back(bus.onAir() ? bus.onAir()->id() : "");
        run.audio.insert(run.audio.end(), out.begin(), out.end());
    }
}

/// Largest difference between neighbouring samples from `from` on.
float largestStep(const std::vector<float>& a, size_t from = 1) {
    float worst = 0;
    for (size_t i = std::max<size_t>(from, 1); i < a.size(); ++i)
        worst = std::max(worst, std::abs(a[i] - a[i - 1]));
    return worst;
}

float rms(const std::vector<float>& a, size_t from, size_t count) {
    double sum = 0;
    for (size_t i = from; i < from + count; ++i)
        sum += a[i] * a[i];
    return static_cast<float>(std::sqrt(sum / static_cast<double>(count)));
}
}  // namespace

TEST(ProgrammeBus, TheHighestAvailableSourceIsOnAirAndEachPreemptionReturns) {
    ProgrammeBus bus("p", 1, kBusFrame, 50);
    auto& filler =
        static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("filler", PriorityLevel::filler, 200)));
    auto& scheduled =
        static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("segment", PriorityLevel::scheduled, 300)));
    auto& upstream =
        static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("upstream", PriorityLevel::upstream, 400)));
    auto& live = static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("live", PriorityLevel::live, 500)));
    auto& emergency =
        static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("emergency", PriorityLevel::emergency, 600)));
    (void)filler;
    std::vector<ToneSource*> byPriority{&emergency, &live, &upstream, &scheduled};
    for (auto* s : byPriority)
        s->on = false;
    Mixed run;
    mixFrames(bus, 5, run);
    EXPECT_EQ(run.onAir.back(), "filler");
    // Each source in turn from the lowest up preempts what is on air...
    for (auto it = byPriority.rbegin(); it != byPriority.rend(); ++it) {
        (*it)->on = true;
        mixFrames(bus, 5, run);
        EXPECT_EQ(run.onAir.back(), (*it)->id());
        EXPECT_EQ(run.levels.back(), (*it)->level());
    }
    // ...and as each stops, the next one down returns.
    for (size_t i = 0; i < byPriority.size(); ++i) {
        byPriority[i]->on = false;
        mixFrames(bus, 5, run);
        EXPECT_EQ(run.onAir.back(), i + 1 < byPriority.size() ? byPriority[i + 1]->id() : "filler");
    }
    EXPECT_EQ(bus.counters().switches, 9u);
    EXPECT_EQ(bus.counters().preemptions, 4u);
    EXPECT_EQ(bus.counters().yields, 4u);
}

TEST(ProgrammeBus, ABulletinGoesBeforeANormalSegmentOfTheSameLevel) {
    ProgrammeBus bus("p", 1, kBusFrame, 50);
    bus.add(std::make_unique<ToneSource>("normal", PriorityLevel::scheduled, 300, 1));
    bus.add(std::make_unique<ToneSource>("bulletin", PriorityLevel::scheduled, 400, 2));
    Mixed run;
    mixFrames(bus, 2, run);
    EXPECT_EQ(run.onAir.back(), "bulletin");
}

TEST(ProgrammeBus, ASwitchIsACrossfadeWithoutAJumpOrAGap) {
    ProgrammeBus bus("p", 1, kBusFrame, 50);
    bus.add(std::make_unique<ToneSource>("music", PriorityLevel::scheduled, 440));
    auto& live = static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("live", PriorityLevel::live, 1000)));
    live.on = false;
    Mixed run;
    mixFrames(bus, 10, run);
    live.on = true;
    mixFrames(bus, 10, run);
    live.on = false;
    mixFrames(bus, 10, run);
    // A sine of amplitude A at f moves at most 2πfA/48000 per sample; a crossfade adds little to
    // that, a cut would add up to 2A.
    const float sineStep = static_cast<float>(2 * std::numbers::pi * 1000 * kAmplitude / 48000);
    EXPECT_LT(largestStep(run.audio, kBusFrame * 3), sineStep * 1.2f);
    // Never a gap: every 5 ms window keeps most of the level.
    for (size_t at = kBusFrame * 3; at + 240 <= run.audio.size(); at += 240)
        EXPECT_GT(rms(run.audio, at, 240), kAmplitude * 0.5f) << "window at sample " << at;
    // The crossfade is 50 ms long: 20 ms after the switch both are still heard.
    EXPECT_GT(rms(run.audio, kBusFrame * 11, kBusFrame), kAmplitude * 0.5f);
}

TEST(ProgrammeBus, ASourceNotOnAirIsNotReadSoAPlaylistResumesWhereItWas) {
    ProgrammeBus bus("p", 1, kBusFrame, 20);
    auto& music =
        static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("music", PriorityLevel::scheduled, 440)));
    auto& live = static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("live", PriorityLevel::live, 1000)));
    Mixed run;
    mixFrames(bus, 50, run);
    EXPECT_LE(music.reads, 2u);  // faded out over the 20 ms crossfade at the start
    EXPECT_EQ(live.reads, 50u);
}

TEST(ProgrammeBus, ADuckerPlaysOverTheSourceBelowItAttenuatedThenReleasesIt) {
    ProgrammeBus bus("p", 1, kBusFrame, 20);
    auto& music =
        static_cast<ToneSource&>(bus.add(std::make_unique<ToneSource>("music", PriorityLevel::scheduled, 440)));
    DuckSettings duck{-20, 100, 200};
    auto& jingle = static_cast<ToneSource&>(
        bus.add(std::make_unique<ToneSource>("jingle", PriorityLevel::scheduled, 1000, 2, duck)));
    jingle.on = false;
    Mixed run;
    mixFrames(bus, 10, run);
    const uint64_t readsBefore = music.reads;
    jingle.on = true;
    mixFrames(bus, 25, run);  // 500 ms: the music is down after the 100 ms attack
    EXPECT_EQ(music.reads - readsBefore, 25u) << "the music keeps playing underneath";
    EXPECT_EQ(run.onAir.back(), "jingle");
    jingle.on = false;
    mixFrames(bus, 25, run);
    // Underneath: the jingle at full level plus the music at -20 dB (0.1 of its amplitude).
    const float ducked = rms(run.audio, kBusFrame * 30, kBusFrame * 4);
    const float jingleAlone = kAmplitude / std::sqrt(2.0f);
    EXPECT_NEAR(ducked, std::sqrt(jingleAlone * jingleAlone + 0.01f * jingleAlone * jingleAlone), 0.02f);
    // Released: the music alone at full level, and no jump anywhere.
    EXPECT_NEAR(rms(run.audio, kBusFrame * 55, kBusFrame * 4), jingleAlone, 0.02f);
    const float sineStep = static_cast<float>(2 * std::numbers::pi * 1440 * kAmplitude / 48000);
    EXPECT_LT(largestStep(run.audio, kBusFrame * 2), sineStep);
}

TEST(ProgrammeBus, LoudnessNormalisationBringsAQuietLiveFeedAndALoudSegmentToOneLevel) {
    ProgrammeBus bus("p", 1, kBusFrame, 50, LoudnessSettings{-20, 12});
    // A sine of amplitude A is at 20·log10(A/√2) dBFS: 0.045 is −30 dBFS, 0.45 is −10 dBFS.
    auto& loud = static_cast<ToneSource&>(
        bus.add(std::make_unique<ToneSource>("segment", PriorityLevel::scheduled, 440, 0, std::nullopt, 0.45f)));
    auto& quiet = static_cast<ToneSource&>(
        bus.add(std::make_unique<ToneSource>("live", PriorityLevel::live, 1000, 0, std::nullopt, 0.045f)));
    (void)loud;
    quiet.on = false;
    Mixed run;
    mixFrames(bus, 500, run);  // 10 s: the segment settles
    const auto dbfs = [&](size_t fromFrame) {
        return 20 * std::log10(rms(run.audio, fromFrame * kBusFrame, 50 * kBusFrame));
    };
    EXPECT_NEAR(dbfs(440), -20, 0.5);
    quiet.on = true;
    mixFrames(bus, 500, run);
    EXPECT_NEAR(dbfs(940), -20, 0.5);
    // The gain moves at most 6 dB/s: no jump when the live feed comes in.
    EXPECT_LT(dbfs(503), -25);
}

TEST(ProgrammeBus, ASourceRemovedWhileOnAirFadesOutAndIsLetGo) {
    ProgrammeBus bus("p", 1, kBusFrame, 50);
    bus.add(std::make_unique<ToneSource>("music", PriorityLevel::scheduled, 440));
    bus.add(std::make_unique<ToneSource>("bulletin", PriorityLevel::scheduled, 1000, 2));
    Mixed run;
    mixFrames(bus, 10, run);
    EXPECT_EQ(run.onAir.back(), "bulletin");
    bus.remove("bulletin");
    mixFrames(bus, 10, run);
    EXPECT_EQ(run.onAir.back(), "music");
    EXPECT_EQ(bus.find("bulletin"), nullptr) << "destroyed once faded out";
    const float sineStep = static_cast<float>(2 * std::numbers::pi * 1000 * kAmplitude / 48000);
    EXPECT_LT(largestStep(run.audio, kBusFrame * 3), sineStep * 1.2f);
}
