#include <gtest/gtest.h>
#include <opus/opus.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "Harness.hpp"
#include "LiveSource.hpp"

using namespace loa;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
constexpr int kFrame = 960;

/// A studio: Opus packets of a sine (or silence), 20 ms each, with in-band FEC.
class Studio {
public:
    explicit Studio(double hz = 1000) : hz_(hz) {
        int error = 0;
        encoder_ = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &error);  // SILK: in-band FEC
        opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(24000));
        opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(1));
        opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(10));
    }
    ~Studio() { opus_encoder_destroy(encoder_); }
    bool silent = false;
    uint32_t ssrc = 0x5757;
    uint8_t priority = 0;

    IngestPacket next(Clock::time_point arrival) {
        float pcm[kFrame];
        for (auto& x : pcm) {
            x = silent
                    ? 0.0f
                    : 0.4f * static_cast<float>(std::sin(2 * std::numbers::pi * hz_ * static_cast<double>(n_) / 48000));
            ++n_;
        }
        IngestPacket p;
        p.arrival = arrival;
        p.ssrc = ssrc;
        p.sequence = sequence_++;
        p.timestamp = timestamp_;
        timestamp_ += kFrame;
        p.priority = priority;
        p.payload.resize(400);
        const int n = opus_encode_float(encoder_, pcm, kFrame, p.payload.data(), 400);
        p.payload.resize(static_cast<size_t>(n));
        return p;
    }

private:
    OpusEncoder* encoder_;
    double hz_;
    uint64_t n_ = 0;
    uint16_t sequence_ = 65000;  // wraps during the tests
    uint32_t timestamp_ = 0xfff00000u;
};

IngestSettings settings(int jitterMs = 40) {
    IngestSettings s;
    s.listen = *SocketAddress::parse("127.0.0.1:0");
    s.allowPlainRtp = true;
    s.jitterMs = jitterMs;
    s.timeoutMs = 300;
    s.returnMs = 400;
    s.silenceS = 1;
    return s;
}

/// Plays `source` on a programme clock of exact 20 ms ticks from `start`, `ticks` times, taking
/// packets from `arrivals` as their time comes. Returns the audio read each tick.
struct Player {
    LiveSource& source;
    Clock::time_point tick;
    bool followFeed = false;  ///< the programme clock aligns with the feed, as the gateway does
    std::vector<float> audio;
    std::vector<bool> available;

    void play(std::vector<IngestPacket>& arrivals, int ticks) {
        std::sort(arrivals.begin(), arrivals.end(), [](const auto& a, const auto& b) { return a.arrival < b.arrival; });
        size_t next = 0;
        std::vector<float> frame(kFrame);
        for (int i = 0; i < ticks; ++i) {
            while (next < arrivals.size() && arrivals[next].arrival <= tick)
                source.accept(arrivals[next++]);
            source.prepare(tick);
            source.read(frame);
            audio.insert(audio.end(), frame.begin(), frame.end());
            available.push_back(source.available());
            tick += 20ms;
            if (auto ideal = source.idealTick(); followFeed && ideal)
                tick += std::clamp(std::chrono::duration_cast<std::chrono::nanoseconds>(*ideal - tick),
                                   std::chrono::nanoseconds(-1ms), std::chrono::nanoseconds(1ms));
        }
        arrivals.erase(arrivals.begin(), arrivals.begin() + static_cast<std::ptrdiff_t>(next));
    }
};

std::vector<float> tail(const std::vector<float>& a, size_t fromFrame) {
    return {a.begin() + static_cast<std::ptrdiff_t>(fromFrame * kFrame), a.end()};
}

/// The dominant frequency of one second of `audio` from its middle.
double toneOf(const std::vector<float>& audio) {
    const auto middle = audio.begin() + static_cast<std::ptrdiff_t>(audio.size() / 2);
    return test::dominantFrequency({middle, middle + 48000}, 48000, 500, 2000);
}
}  // namespace

TEST(LiveSource, LossReorderingAndDuplicatesAtFivePercentStillGiveContinuousAudio) {
    LiveSource source("live", PriorityLevel::live, settings(40), 1, kFrame, nullptr);
    Studio studio;
    std::mt19937 random(7);
    std::uniform_real_distribution<double> chance(0, 1);
    const auto t0 = Clock::now();
    std::vector<IngestPacket> arrivals;
    int dropped = 0, duplicated = 0, reordered = 0, burst = 0, longestBurst = 0;
    for (int k = 0; k < 1000; ++k) {
        auto p = studio.next(t0 + k * 20ms + std::chrono::microseconds(static_cast<int>(chance(random) * 2000)));
        const double r = chance(random);
        burst = r < 0.05 ? burst + 1 : 0;
        longestBurst = std::max(longestBurst, burst);
        if (r < 0.05) {
            ++dropped;
            continue;
        }
        if (r < 0.10) {  // a packet overtaken by the next one
            p.arrival += 25ms;
            ++reordered;
        }
        if (r > 0.95) {
            arrivals.push_back(p);
            arrivals.back().arrival += 5ms;
            ++duplicated;
        }
        arrivals.push_back(std::move(p));
    }
    Player player{source, t0, false, {}, {}};
    player.play(arrivals, 1000);
    const auto& c = source.counters();
    EXPECT_GT(dropped, 30);
    EXPECT_EQ(c.duplicates, static_cast<uint64_t>(duplicated));
    EXPECT_EQ(c.late, 0u) << reordered << " reordered packets all arrived within the jitter buffer";
    // Each dropped packet is missing at its turn (a hole, or the buffer's end when its successor
    // is one of the late ones); the last few may be past the end.
    const auto& p = source.playout();
    EXPECT_GE(p.lost + p.underruns, static_cast<uint64_t>(dropped) - 3);
    EXPECT_GT(p.fecRecovered, p.lost / 2) << "isolated losses come back from the next packet's FEC";
    EXPECT_EQ(c.skewDrops + c.skewInserts, 0u);
    const auto audio = tail(player.audio, 10);
    EXPECT_NEAR(toneOf(audio), 1000, 5);
    // Concealment covers a single loss; over a burst of losses Opus fades out, and the quiet
    // that leaves is never longer than the burst itself.
    EXPECT_LE(test::longestGapMs(audio, 48000, 0.05f), 20.0 * longestBurst);
    EXPECT_TRUE(player.available.back());
}

/// `count` packets from `studio`, on time from `from` on, appended to `arrivals`.
void onTime(Studio& studio, Clock::time_point from, int count, std::vector<IngestPacket>& arrivals) {
    for (int k = 0; k < count; ++k)
        arrivals.push_back(studio.next(from + k * 20ms));
}

TEST(LiveSource, AStoppedFeedYieldsAfterItsTimeoutAndReturnsOnlyAfterItsGracePeriod) {
    LiveSource source("live", PriorityLevel::live, settings(40), 1, kFrame, nullptr);
    Studio studio;
    const auto t0 = Clock::now();
    std::vector<IngestPacket> arrivals;
    onTime(studio, t0, 100, arrivals);
    Player player{source, t0, false, {}, {}};
    player.play(arrivals, 100);
    EXPECT_TRUE(player.available.back());
    const auto firstAvailable =
        std::find(player.available.begin(), player.available.end(), true) - player.available.begin();
    EXPECT_GE(firstAvailable, 400 / 20) << "the grace period applies to the first arrival too";
    // The studio link drops for 200 ms (under the 300 ms timeout): no yield, audio concealed.
    const auto silentFrom = player.available.size();
    for (int k = 100; k < 110; ++k)
        studio.next(t0 + k * 20ms);  // lost on the way
    player.play(arrivals, 10);
    for (int k = 110; k < 200; ++k)
        arrivals.push_back(studio.next(t0 + k * 20ms));
    player.play(arrivals, 90);
    EXPECT_TRUE(std::all_of(player.available.begin() + static_cast<std::ptrdiff_t>(silentFrom), player.available.end(),
                            [](bool a) { return a; }));
    EXPECT_EQ(source.counters().yields, 0u);
    // Now it stops for 1 s: it yields once the timeout passes.
    player.play(arrivals, 50);
    EXPECT_FALSE(player.available.back());
    EXPECT_EQ(source.counters().yields, 1u);
    EXPECT_EQ(source.state().rfind("no packets for", 0), 0u) << source.state();
    // Back: heard, but not available until 400 ms of it have arrived.
    onTime(studio, player.tick, 100, arrivals);
    player.play(arrivals, 100);
    const auto returnedAt =
        std::find(player.available.begin() + 250, player.available.end(), true) - player.available.begin() - 250;
    EXPECT_GE(returnedAt * 20, 400 + 40 - 20);
    EXPECT_LE(returnedAt * 20, 400 + 40 + 60);
    EXPECT_EQ(source.counters().returns, 2u);
}

TEST(LiveSource, AFrozenStudioRepeatingItsLastPacketYieldsAfterItsTimeout) {
    LiveSource source("live", PriorityLevel::live, settings(40), 1, kFrame, nullptr);
    Studio studio;
    const auto t0 = Clock::now();
    std::vector<IngestPacket> arrivals;
    onTime(studio, t0, 100, arrivals);
    // Its encoder hangs: the same packet again and again, on time, for 1 s.
    for (int k = 100; k < 150; ++k) {
        auto again = arrivals[99];
        again.arrival = t0 + k * 20ms;
        arrivals.push_back(again);
    }
    Player player{source, t0, false, {}, {}};
    player.play(arrivals, 100);
    EXPECT_TRUE(player.available.back());
    player.play(arrivals, 50);
    EXPECT_FALSE(player.available.back()) << "repeats of one packet kept a frozen feed on air";
    EXPECT_EQ(source.counters().yields, 1u);
    EXPECT_GE(source.counters().duplicates + source.counters().late, 45u);
}

TEST(LiveSource, AFeedThatGoesSilentYieldsAfterItsSilenceTimeout) {
    LiveSource source("live", PriorityLevel::live, settings(40), 1, kFrame, nullptr);
    Studio studio;
    const auto t0 = Clock::now();
    std::vector<IngestPacket> arrivals;
    for (int k = 0; k < 400; ++k) {
        studio.silent = k >= 100 && k < 200;
        arrivals.push_back(studio.next(t0 + k * 20ms));
    }
    Player player{source, t0, false, {}, {}};
    player.play(arrivals, 100);
    EXPECT_TRUE(player.available.back());
    player.play(arrivals, 60);  // 1.2 s of silence in, the silence timeout is 1 s
    EXPECT_FALSE(player.available.back());
    EXPECT_NE(source.state().find("silent"), std::string::npos) << source.state();
    player.play(arrivals, 40 + 10);
    EXPECT_FALSE(player.available.back()) << "audible again, but inside the grace period";
    player.play(arrivals, 40);
    EXPECT_TRUE(player.available.back());
}

TEST(LiveSource, AnUpstreamKeepsItsParentsEmergencyAndYieldsWhenTheParentIsIdle) {
    LiveSource source("upstream", PriorityLevel::upstream, settings(40), 1, kFrame, nullptr);
    Studio parent;
    const auto t0 = Clock::now();
    std::vector<IngestPacket> arrivals;
    for (int k = 0; k < 300; ++k) {
        parent.priority = k < 100 ? 4 : k < 200 ? 1 : 5;  // scheduled, emergency, filler
        arrivals.push_back(parent.next(t0 + k * 20ms));
    }
    Player player{source, t0, false, {}, {}};
    player.play(arrivals, 100);
    EXPECT_EQ(source.level(), PriorityLevel::upstream);
    EXPECT_TRUE(source.available());
    player.play(arrivals, 100);
    EXPECT_EQ(source.level(), PriorityLevel::emergency);
    player.play(arrivals, 100);
    EXPECT_FALSE(source.available()) << "the parent plays its filler: this gateway's own schedule goes on air";
}

TEST(LiveSource, StudioClockSkewIsFollowedByTheProgrammeClockWithoutDropsOrGrowingDelay) {
    // The studio's clock runs 0.2 % slow (a packet every 20.04 ms) for 60 s.
    for (bool follow : {false, true}) {
        LiveSource source("live", PriorityLevel::live, settings(40), 1, kFrame, nullptr);
        Studio studio;
        const auto t0 = Clock::now();
        std::vector<IngestPacket> arrivals;
        for (int k = 0; k < 3000; ++k)
            arrivals.push_back(studio.next(t0 + k * 20040us));
        Player player{source, t0, follow, {}, {}};
        player.play(arrivals, 2990);
        const auto& c = source.counters();
        const auto audio = tail(player.audio, 50);
        EXPECT_LT(test::longestGapMs(audio, 48000, 0.05f), follow ? 10 : 25) << "follow " << follow;
        EXPECT_EQ(c.late, 0u);
        if (follow) {
            // The clock follows the feed: every packet plays at its time, none dropped or invented.
            EXPECT_EQ(c.skewDrops + c.skewInserts, 0u);
            EXPECT_EQ(source.playout().concealed + source.playout().lost, 0u);
        } else {
            // A fixed clock conceals a frame whenever the feed is a frame behind (0.2 % of 3000
            // frames is 6): the delay stays bounded instead of growing.
            EXPECT_GE(c.skewInserts, 4u);
            EXPECT_LE(c.skewInserts, 8u);
        }
    }
}

TEST(LiveSource, APacketOvertakenByTheFirstOneDoesNotUpsetTheFeedsTiming) {
    LiveSource source("live", PriorityLevel::live, settings(40), 1, kFrame, nullptr);
    Studio studio;
    const auto t0 = Clock::now();
    std::vector<IngestPacket> arrivals;
    for (int k = 0; k < 200; ++k)
        arrivals.push_back(studio.next(t0 + k * 20ms));
    arrivals[0].arrival += 25ms;  // the very first packet arrives after the second
    Player player{source, t0, true, {}, {}};
    player.play(arrivals, 195);
    EXPECT_EQ(source.counters().restarts, 0u);
    EXPECT_EQ(source.counters().skewDrops + source.counters().skewInserts, 0u);
    EXPECT_TRUE(player.available.back());
    EXPECT_LT(test::longestGapMs(tail(player.audio, 5), 48000, 0.05f), 10);
}
