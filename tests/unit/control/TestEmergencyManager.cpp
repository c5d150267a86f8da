#include <gtest/gtest.h>

#include "FakeEmergencyOutput.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "TestData.hpp"
#include "api/RequestError.hpp"
#include "control/EmergencyManager.hpp"

using namespace loa;
using Json = nlohmann::json;

namespace {
using FakeOutput = test::FakeEmergencyOutput;

StationSettings station(const std::string& id, const std::string& area, std::vector<std::string> groups = {},
                        bool tests = false) {
    StationSettings s;
    s.id = id;
    s.programme = "national";
    s.area = area;
    s.groups = std::move(groups);
    s.acceptsTests = tests;
    return s;
}

class EmergencyManagerTest : public ::testing::Test {
protected:
    test::TempDir dir;
    StateStore store{dir.path() / "loa.db"};
    FakeOutput output;
    EmergencyOptions settings = [] {
        EmergencyOptions s;
        s.stations = {station("hanoi-1", "01/001/00001", {"coast"}, true), station("hanoi-2", "01/001/00002"),
                      station("hanoi-3", "01/002/00007", {}, true), station("hue-1", "46/474/19753", {"coast"})};
        s.twoPersonRule = true;
        s.confirmWindowS = 300;
        s.messages = {{"flood", "/srv/flood.wav"}};
        return s;
    }();
    std::unique_ptr<EmergencyManager> manager = std::make_unique<EmergencyManager>(store, output, settings);
    Actor alice{"alice", Role::emergency, "127.0.0.1"};
    Actor bob{"bob", Role::emergency, "127.0.0.1"};
    Actor viewer{"vera", Role::viewer, "127.0.0.1"};

    int refusal(const std::function<void()>& f) {
        try {
            f();
        } catch (const Refusal& e) {
            return httpStatus(e.reason());
        }
        return 0;
    }
    std::string lastAuditOutcome() { return store.auditLog(1).at(0).outcome; }
};
}  // namespace

TEST_F(EmergencyManagerTest, AnActualEmergencyWaitsForASecondOperatorThenReachesItsArea) {
    const auto r =
        manager->trigger(alice, Json::parse(R"({"status":"actual","targets":{"areas":["01/001"]},"message":"flood"})"));
    EXPECT_EQ(r.state, "pending");
    EXPECT_TRUE(output.onAir.empty()) << "nothing on air before the confirmation";
    EXPECT_EQ(refusal([&] { manager->confirm(alice, r.id); }), 403) << "one person cannot confirm their own";
    EXPECT_EQ(lastAuditOutcome(), "refused");
    const auto confirmed = manager->confirm(bob, r.id);
    EXPECT_EQ(confirmed.state, "active");
    EXPECT_EQ(output.onAir.at(r.id), (std::vector<std::string>{"hanoi-1", "hanoi-2"}));
    EXPECT_EQ(output.audio.at(r.id).status, "actual");
    EXPECT_EQ(output.audio.at(r.id).message, std::filesystem::path("/srv/flood.wav"));
    const auto cancelled = manager->cancel(bob, r.id);
    EXPECT_EQ(cancelled.state, "cancelled");
    EXPECT_TRUE(output.onAir.empty());
    EXPECT_EQ(store.emergency(r.id)->endedBy, "bob");
}

TEST_F(EmergencyManagerTest, TestsAndExercisesReachOnlyStationsThatAcceptThem) {
    const auto r = manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true}})"));
    EXPECT_EQ(r.state, "active") << "a test needs no second operator";
    EXPECT_EQ(output.onAir.at(r.id), (std::vector<std::string>{"hanoi-1", "hanoi-3"}));
    EXPECT_EQ(refusal([&] {
                  manager->trigger(alice, Json::parse(R"({"status":"exercise","targets":{"stations":["hue-1"]}})"));
              }),
              400);
    EXPECT_NE(store.auditLog(1)[0].detail.find("accepts exercise"), std::string::npos);
}

TEST_F(EmergencyManagerTest, GroupsAndStationIdsAreTargetsToo) {
    settings.twoPersonRule = false;
    manager->updateOptions(settings);
    const auto r = manager->trigger(
        alice, Json::parse(R"({"status":"actual","targets":{"groups":["coast"],"stations":["hanoi-3"]}})"));
    EXPECT_EQ(output.onAir.at(r.id), (std::vector<std::string>{"hanoi-1", "hanoi-3", "hue-1"}));
}

TEST_F(EmergencyManagerTest, TargetsThatReachNobodyAreNamedInTheRefusalOrInTheRecordAndItsAudit) {
    settings.twoPersonRule = false;
    manager->updateOptions(settings);
    // Nothing matches: refused, naming each code and group that reached nobody.
    std::string why;
    try {
        manager->trigger(
            alice, Json::parse(R"({"status":"actual","targets":{"areas":["49/502","01/00"],"groups":["hills"]}})"));
    } catch (const Refusal& e) {
        why = e.what();
    }
    EXPECT_NE(why.find("areas 49/502,01/00"), std::string::npos) << why;
    EXPECT_NE(why.find("groups hills"), std::string::npos) << why;
    EXPECT_TRUE(output.onAir.empty());
    // Some match: it goes to those, and its record and audit entry say which did not.
    const auto r = manager->trigger(
        alice,
        Json::parse(R"({"status":"actual","targets":{"areas":["01/001","49/502"],"groups":["coast","hills"]}})"));
    EXPECT_EQ(output.onAir.at(r.id), (std::vector<std::string>{"hanoi-1", "hanoi-2", "hue-1"}));
    const auto request = Json::parse(r.request);
    EXPECT_EQ(request["unmatched"], Json::parse(R"({"areas":["49/502"],"groups":["hills"]})"));
    const auto audit = Json::parse(store.auditLog(1).at(0).detail);
    EXPECT_EQ(audit["unmatched"], request["unmatched"]);
    // Whole codes only: 01/00 is not a prefix of 01/001.
    const auto exact = manager->trigger(alice, Json::parse(R"({"status":"actual","targets":{"areas":["46"]}})"));
    EXPECT_FALSE(Json::parse(exact.request).contains("unmatched"));
    // A test reaches only stations that take tests: an area whose stations do not is named too,
    // once however often it is listed; with "all", nothing is.
    const auto test =
        manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"areas":["01/001","46","46"]}})"));
    EXPECT_EQ(output.onAir.at(test.id), std::vector<std::string>{"hanoi-1"});
    EXPECT_EQ(Json::parse(test.request)["unmatched"], Json::parse(R"({"areas":["46"]})"));
    const auto all = manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true,"areas":["99"]}})"));
    EXPECT_FALSE(Json::parse(all.request).contains("unmatched"));
}

TEST_F(EmergencyManagerTest, RefusesWrongRolesAndMalformedRequestsAndAuditsEachRefusal) {
    const auto before = store.auditLog(100).size();
    EXPECT_EQ(refusal([&] { manager->trigger(viewer, Json::parse(R"({"status":"test","targets":{"all":true}})")); }),
              403);
    EXPECT_EQ(refusal([&] { manager->trigger(alice, Json::parse(R"({"status":"drill","targets":{"all":true}})")); }),
              400);
    EXPECT_EQ(refusal([&] { manager->trigger(alice, Json::parse(R"({"status":"test"})")); }), 400);
    EXPECT_EQ(refusal([&] {
                  manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"stations":["nowhere"]}})"));
              }),
              400);
    EXPECT_EQ(refusal([&] { manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"areas":"01"}})")); }),
              400);
    EXPECT_EQ(refusal([&] {
                  manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true},"message":"x"})"));
              }),
              400);
    EXPECT_EQ(refusal([&] { manager->cancel(alice, "em-000000000000"); }), 404);
    EXPECT_EQ(store.auditLog(100).size(), before + 7);
    EXPECT_TRUE(output.onAir.empty());
}

TEST_F(EmergencyManagerTest, ExpiryEndsItAndARestartResumesWhatWasActive) {
    settings.twoPersonRule = false;
    manager->updateOptions(settings);
    const auto lasting = manager->trigger(alice, Json::parse(R"({"status":"actual","targets":{"all":true}})"));
    auto brief = store.emergency(
        manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true},"expires_s":60})")).id);
    brief->expiresMs = StateStore::nowMs() - 1;  // as if a minute had passed
    store.putEmergency(*brief);
    manager->tick();
    EXPECT_EQ(store.emergency(brief->id)->state, "expired");
    EXPECT_EQ(output.onAir.size(), 1u);
    // A new process: what was active goes back on air.
    FakeOutput restarted;
    EmergencyManager again(store, restarted, settings);
    again.resume();
    ASSERT_EQ(restarted.onAir.size(), 1u);
    EXPECT_EQ(restarted.onAir.begin()->first, lasting.id);
}

TEST_F(EmergencyManagerTest, ALiveFeedMustExistAndExcludesAMessage) {
    settings.programmes = {{"national", true}};
    manager->updateOptions(settings);
    const auto test = [&](const std::string& extra) {
        return refusal(
            [&] { manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true})" + extra + "}")); });
    };
    EXPECT_EQ(test(R"(,"live":"provincial")"), 400);
    EXPECT_EQ(test(R"(,"live":"national","message":"flood")"), 400);
    const auto r =
        manager->trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true},"live":"national"})"));
    EXPECT_EQ(output.audio.at(r.id).liveProgramme, "national");
}

TEST_F(EmergencyManagerTest, AnActualAlertTakesATestsSlotWhenAllAreOnAirAndNoTestTakesAnActuals) {
    test::FakeEmergencyOutput two(2);
    settings.twoPersonRule = false;
    EmergencyManager m(store, two, settings);
    const auto t1 = m.trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true}})"));
    const auto t2 = m.trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true}})"));
    EXPECT_EQ(refusal([&] { m.trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true}})")); }), 409)
        << "a test does not take another test's slot";
    const auto actual = m.trigger(alice, Json::parse(R"({"status":"actual","targets":{"areas":["01"]}})"));
    EXPECT_EQ(actual.state, "active");
    // The lower of the two (the older: a station both list hears the newer) gave up its slot:
    // off air, recorded and audited.
    EXPECT_EQ(store.emergency(t1.id)->state, "preempted");
    EXPECT_EQ(store.emergency(t1.id)->endedBy, actual.id);
    EXPECT_EQ(store.emergency(t2.id)->state, "active");
    EXPECT_EQ(store.auditLog(1).at(0).action, "emergency.start");
    EXPECT_EQ(two.router.emergencyFor("hanoi-1"), actual.id) << "a station both list hears the actual alert";
    EXPECT_EQ(two.router.emergencyFor("hue-1"), std::nullopt) << "hue-1 accepts no tests and is not in area 01";
    // Now every slot holds an actual or a test: neither a test nor an exercise displaces the actual.
    const auto ex = m.trigger(alice, Json::parse(R"({"status":"exercise","targets":{"all":true}})"));
    EXPECT_EQ(store.emergency(t2.id)->state, "preempted") << "an exercise is above a test";
    EXPECT_EQ(refusal([&] { m.trigger(alice, Json::parse(R"({"status":"test","targets":{"all":true}})")); }), 409);
    EXPECT_EQ(refusal([&] { m.trigger(alice, Json::parse(R"({"status":"exercise","targets":{"all":true}})")); }), 409);
    EXPECT_EQ(store.emergency(actual.id)->state, "active");
    EXPECT_EQ(two.router.emergencyFor("hanoi-1"), actual.id);
    EXPECT_EQ(two.router.emergencyFor("hanoi-3"), actual.id) << "hanoi-3 is in area 01 too";
    EXPECT_EQ(store.emergency(ex.id)->state, "active");
}

TEST_F(EmergencyManagerTest, AStationAddedOrChangedIntoAnAlertsTargetsJoinsIt) {
    settings.twoPersonRule = false;
    manager = std::make_unique<EmergencyManager>(store, output, settings);
    const auto r = manager->trigger(alice, Json::parse(R"({"status":"actual","targets":{"areas":["46"]}})"));
    EXPECT_EQ(output.onAir.at(r.id), (std::vector<std::string>{"hue-1"}));
    auto next = settings;
    next.stations.push_back(station("hue-2", "46/474/19754"));  // added during the alert
    next.stations[1].area = "46/001/00001";                     // hanoi-2 moved into the area
    next.stations.push_back(station("hanoi-9", "01/001/00009"));  // outside it
    manager->updateOptions(next);
    EXPECT_EQ(output.onAir.at(r.id), (std::vector<std::string>{"hue-1", "hanoi-2", "hue-2"}));
    EXPECT_EQ(manager->list(true).at(0).stations, "hue-1,hanoi-2,hue-2") << "saved";
    EXPECT_EQ(store.auditLog(1).at(0).action, "emergency.join");
}

TEST_F(EmergencyManagerTest, TheTwoPersonRuleTakesNamesThatDifferInCaseForOnePerson) {
    const auto r = manager->trigger(alice, Json::parse(R"({"status":"actual","targets":{"all":true}})"));
    const Actor alsoAlice{"ALICE", Role::emergency, "10.0.0.9"};
    EXPECT_EQ(refusal([&] { manager->confirm(alsoAlice, r.id); }), 403);
    EXPECT_EQ(store.emergency(r.id)->state, "pending");
    EXPECT_EQ(manager->confirm(bob, r.id).state, "active");
}

TEST_F(EmergencyManagerTest, OneStationChangedAloneJoinsAnAlertAsAWholeReloadWould) {
    settings.twoPersonRule = false;
    manager = std::make_unique<EmergencyManager>(store, output, settings);
    const auto r = manager->trigger(alice, Json::parse(R"({"status":"actual","targets":{"areas":["46"]}})"));
    auto moved = station("hanoi-2", "46/001/00001");
    manager->updateStation("hanoi-2", &moved);  // changed into the area
    auto added = station("hue-2", "46/474/19754");
    manager->updateStation("hue-2", &added);
    auto outside = station("hanoi-9", "01/001/00009");
    manager->updateStation("hanoi-9", &outside);
    manager->updateStation("hanoi-2", &moved);  // the same again: already in it
    EXPECT_EQ(output.onAir.at(r.id), (std::vector<std::string>{"hue-1", "hanoi-2", "hue-2"}));
    EXPECT_EQ(manager->list(true).at(0).stations, "hue-1,hanoi-2,hue-2") << "saved";
    manager->updateStation("hue-2", nullptr);  // removed: a later alert does not name it
    const auto later = manager->trigger(alice, Json::parse(R"({"status":"actual","targets":{"areas":["46"]}})"));
    EXPECT_EQ(output.onAir.at(later.id), (std::vector<std::string>{"hanoi-2", "hue-1"})) << "in the stations' order";
}

TEST_F(EmergencyManagerTest, CapAudioPastItsRetentionIsDeletedUnlessAnAlertStillPlaysIt) {
    settings.stateDir = dir.path();
    settings.twoPersonRule = false;
    manager = std::make_unique<EmergencyManager>(store, output, settings);
    const auto cap = dir.path() / "cap";
    std::filesystem::create_directories(cap);
    for (const char* name : {"old.audio", "new.audio", "playing.audio"})
        std::ofstream(cap / name) << "x";
    const auto longAgo = std::filesystem::file_time_type::clock::now() - std::chrono::hours(24 * 40);
    std::filesystem::last_write_time(cap / "old.audio", longAgo);
    std::filesystem::last_write_time(cap / "playing.audio", longAgo);
    // An alert on air plays one of the old files.
    EmergencyRecord playing{"em-cap", "actual", "active",
                            Json{{"targets", {{"all", true}}}, {"message_file", (cap / "playing.audio").string()}}.dump(),
                            "hue-1", 1, 0, "alice", "", ""};
    store.putEmergency(playing);
    EXPECT_EQ(manager->pruneCapAudio(std::chrono::hours(24 * 30)), 1u);
    EXPECT_FALSE(std::filesystem::exists(cap / "old.audio"));
    EXPECT_TRUE(std::filesystem::exists(cap / "new.audio")) << "within its retention";
    EXPECT_TRUE(std::filesystem::exists(cap / "playing.audio")) << "still on air";
}
