#include <gtest/gtest.h>

#include <ctime>

#include "Schedule.hpp"
#include "SegmentSource.hpp"
#include "TestData.hpp"

using namespace loa;
using namespace std::chrono_literals;
using SystemClock = std::chrono::system_clock;

namespace {
/// A UTC instant, written as civil time.
SystemClock::time_point utc(int y, int mo, int d, int h, int mi, int s = 0) {
    tm t{};
    t.tm_year = y - 1900;
    t.tm_mon = mo - 1;
    t.tm_mday = d;
    t.tm_hour = h;
    t.tm_min = mi;
    t.tm_sec = s;
    return SystemClock::from_time_t(timegm(&t));
}

ScheduleEntry entry(int hour, int minute) {
    ScheduleEntry e;
    e.id = "news";
    e.programme = "national";
    e.secondOfDay = hour * 3600 + minute * 60;
    e.files = {test::sourceDir() / "config/segments/tone-1khz.wav"};
    return e;
}

class ScheduleTest : public ::testing::Test {
protected:
    void SetUp() override { setProcessTimeZone("Asia/Ho_Chi_Minh"); }  // UTC+7, no daylight saving
};
}  // namespace

TEST_F(ScheduleTest, ADailyEntryFallsAtItsLocalTimeToday) {
    // 2026-11-23 05:00 local is 2026-11-22 22:00 UTC: 06:00 local comes an hour later.
    EXPECT_EQ(nextOccurrence(entry(6, 0), utc(2026, 11, 22, 22, 0)), utc(2026, 11, 22, 23, 0));
    // Just after 06:00 local: tomorrow.
    EXPECT_EQ(nextOccurrence(entry(6, 0), utc(2026, 11, 22, 23, 0)), utc(2026, 11, 23, 23, 0));
}

TEST_F(ScheduleTest, AWeeklyEntryWaitsForItsWeekday) {
    auto e = entry(18, 30);
    e.weekdays = 1u << 5;  // Fridays; 2026-11-23 is a Monday
    EXPECT_EQ(nextOccurrence(e, utc(2026, 11, 23, 0, 0)), utc(2026, 11, 27, 11, 30));
    e.weekdays |= 1u << 1;  // and Mondays: today, 18:30 local
    EXPECT_EQ(nextOccurrence(e, utc(2026, 11, 23, 0, 0)), utc(2026, 11, 23, 11, 30));
}

TEST_F(ScheduleTest, AOneOffEntryPlaysOnItsDateOnlyAndNotAfterIt) {
    auto e = entry(7, 15);
    e.date = std::array<int, 3>{2027, 1, 1};
    EXPECT_EQ(nextOccurrence(e, utc(2026, 11, 23, 0, 0)), utc(2027, 1, 1, 0, 15));
    EXPECT_EQ(nextOccurrence(e, utc(2027, 1, 1, 0, 15)), std::nullopt);
}

TEST_F(ScheduleTest, AnEntryDecodesAheadStartsOnTimeAndPlaysItsFilesOnce) {
    auto now = utc(2026, 11, 23, 0, 59, 58);
    auto e = entry(8, 0);  // 01:00 UTC
    ScheduledSource source("national", e, 1, [&] { return now; });
    EXPECT_EQ(source.nextStart(), utc(2026, 11, 23, 1, 0));
    EXPECT_EQ(source.rank(), 1);
    std::vector<float> frame(960);
    source.prepare({});
    EXPECT_FALSE(source.available());
    now += 1500ms;  // inside the preroll: decoding, not yet on
    source.prepare({});
    EXPECT_FALSE(source.available());
    std::this_thread::sleep_for(200ms);
    now += 600ms;
    source.prepare({});
    ASSERT_TRUE(source.available());
    EXPECT_EQ(source.nextStart(), utc(2026, 11, 24, 1, 0));
    // tone-1khz.wav is 5 s long: it plays through once and the source steps down. Read at ten
    // times real time, which the decoder outpaces; where it does not (a sanitizer's build), the
    // frames it had not decoded yet are silent and do not count: what counts is the audio played.
    int frames = 0;
    size_t played = 0;
    double energy = 0;
    const auto until = std::chrono::steady_clock::now() + 30s;  // bounded, whatever the machine
    for (; source.available() && std::chrono::steady_clock::now() < until; ++frames) {
        source.read(frame);
        for (float x : frame) {
            energy += x * x;
            played += x != 0.0f;
        }
        source.prepare({});
        std::this_thread::sleep_for(2ms);
    }
    EXPECT_NEAR(static_cast<double>(played), 5 * 48000, 2 * 960) << source.state() << " after " << frames << " frames";
    EXPECT_GT(energy / static_cast<double>(std::max<size_t>(played, 1)), 0.01);
    source.prepare({});
    EXPECT_EQ(source.runs(), 1u);
    EXPECT_FALSE(source.available());
}
