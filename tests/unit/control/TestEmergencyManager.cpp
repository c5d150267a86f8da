#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "TestData.hpp"
#include "control/EmergencyManager.hpp"

using namespace loa;
using Json = nlohmann::json;

namespace {
/// What the gateway would put on air, recorded.
struct FakeOutput : EmergencyOutput {
    std::map<std::string, std::vector<std::string>> onAir;
    std::map<std::string, EmergencyAudio> audio;
    void start(const std::string& id, const EmergencyAudio& a, const std::vector<std::string>& stations) override {
        onAir[id] = stations;
        audio[id] = a;
    }
    void stop(const std::string& id) override { onAir.erase(id); }
};

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
    Settings settings = [] {
        Settings s;
        s.stations = {station("hanoi-1", "01/001/00001", {"coast"}, true), station("hanoi-2", "01/001/00002"),
                      station("hanoi-3", "01/002/00007", {}, true), station("hue-1", "46/474/19753", {"coast"})};
        s.api = ApiSettings{};
        s.api->twoPersonRule = true;
        s.emergency.messages = {{"flood", "/srv/flood.wav"}};
        return s;
    }();
    std::unique_ptr<EmergencyManager> manager = std::make_unique<EmergencyManager>(store, output, settings);
    Caller alice{"alice", ApiRole::emergency, "127.0.0.1"};
    Caller bob{"bob", ApiRole::emergency, "127.0.0.1"};
    Caller viewer{"vera", ApiRole::viewer, "127.0.0.1"};

    int refusal(const std::function<void()>& f) {
        try {
            f();
        } catch (const RequestError& e) {
            return e.status();
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
    settings.api->twoPersonRule = false;
    manager->updateSettings(settings);
    const auto r = manager->trigger(
        alice, Json::parse(R"({"status":"actual","targets":{"groups":["coast"],"stations":["hanoi-3"]}})"));
    EXPECT_EQ(output.onAir.at(r.id), (std::vector<std::string>{"hanoi-1", "hanoi-3", "hue-1"}));
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
    settings.api->twoPersonRule = false;
    manager->updateSettings(settings);
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
    ProgrammeSettings national;
    national.id = "national";
    national.live = IngestSettings{};
    settings.programmes = {national};
    manager->updateSettings(settings);
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
