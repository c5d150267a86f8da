#include <gtest/gtest.h>

#include "app/ApiViews.hpp"

namespace loa {
namespace {

StationSettings viewedStation() {
    StationSettings s;
    s.id = "commune-7";
    s.name = "Xã Bảy";
    s.programme = "national";
    s.area = "01/001/00007";
    s.groups = {"coast"};
    s.acceptsTests = true;
    return s;
}

TEST(ApiViews, AStationShowsWhatItHearsItsCountersAndItsReports) {
    const auto s = viewedStation();
    StationFacts facts;
    facts.programmeOnAir = {"playlist", PriorityLevel::scheduled};
    auto j = stationView(s, facts);
    EXPECT_EQ(j["address"], "learned");
    EXPECT_EQ(j["on_air"], "playlist");
    EXPECT_EQ(j["level"], "scheduled");
    EXPECT_FALSE(j.contains("packets"));  // not sent to (not heard from yet)
    EXPECT_FALSE(j.contains("online"));   // not registered

    DestinationCounters sent;
    sent.packets = 50;
    sent.bytes = 5000;
    const std::string alert = "e-1";
    facts.sent = &sent;
    facts.emergency = &alert;
    facts.reports = StationStatus{};
    facts.reports->everHeard = true;
    facts.reports->lastSeenMs = 1'000'000;
    facts.reports->onlineSinceMs = 900'000;
    facts.reports->fractionLost = 64;
    facts.reports->learned = SocketAddress::parse("10.0.0.7:40000");
    facts.online = true;
    j = stationView(s, facts);
    EXPECT_EQ(j["packets"], 50);
    EXPECT_EQ(j["on_air"], "emergency");
    EXPECT_EQ(j["level"], "emergency");
    EXPECT_EQ(j["emergency"], "e-1");
    EXPECT_EQ(j["online"], true);
    EXPECT_EQ(j["status_since_ms"], 900'000);
    EXPECT_DOUBLE_EQ(j["fraction_lost"].get<double>(), 0.25);
    EXPECT_EQ(j["learned_address"], "10.0.0.7:40000");

    // Offline since its last report plus the offline delay.
    facts.online = false;
    facts.offlineAfterS = 30;
    EXPECT_EQ(stationView(s, facts)["status_since_ms"], 1'030'000);
}

TEST(ApiViews, AScheduleEntryShowsItsTimeDaysDateAndNextStart) {
    ScheduleEntry daily;
    daily.id = "news";
    daily.programme = "national";
    daily.secondOfDay = 6 * 3600 + 30 * 60 + 5;
    daily.files = {"/srv/news.wav"};
    ScheduleEntry weekly = daily;
    weekly.id = "sermon";
    weekly.weekdays = (1u << 0) | (1u << 6);
    weekly.priority = SchedulePriority::bulletin;
    ScheduleEntry once = daily;
    once.id = "past";
    once.date = std::array<int, 3>{2001, 2, 3};
    const auto j = scheduleView({daily, weekly, once}, std::chrono::system_clock::now());
    ASSERT_EQ(j.size(), 3u);
    EXPECT_EQ(j[0]["at"], "06:30:05");
    EXPECT_TRUE(j[0]["days"].empty());  // every day
    EXPECT_EQ(j[0]["priority"], "normal");
    EXPECT_EQ(j[0]["files"][0], "/srv/news.wav");
    EXPECT_TRUE(j[0].contains("next_start_ms"));
    EXPECT_EQ(j[1]["days"], nlohmann::json::array({"sun", "sat"}));
    EXPECT_EQ(j[1]["priority"], "bulletin");
    EXPECT_EQ(j[2]["date"], "2001-02-03");
    EXPECT_FALSE(j[2].contains("next_start_ms"));  // a one-off in the past never starts again
}

}  // namespace
}  // namespace loa
