// Emergencies that keep their meaning, end to end: an alert reaches exactly the stations it is for,
// as exactly what it is (actual, exercise, test), through every tier, and nothing of lower
// standing takes it off the air. Each test is one way this broke, tried as an operator, a
// province or an attacker would.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <nlohmann/json.hpp>

#include "ApiClient.hpp"
#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "TestData.hpp"
#include "WavWriter.hpp"

using namespace loa::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

const std::string kDuty = "loa_duty_meaning_0123456789abcdef", kSecond = "loa_second_meaning_0123456789abcd",
                  kOperator = "loa_operator_meaning_0123456789ab", kViewer = "loa_viewer_meaning_0123456789abc";

/// The API on 127.0.0.1:`port` with the duty officer, a second one, an operator and a viewer.
ApiConfig operatorsApi(uint16_t port, bool twoPersonRule = false) {
    return ApiConfig(loopback(port))
        .tokens({{"duty", "emergency", kDuty},
                 {"second", "emergency", kSecond},
                 {"ops", "operator", kOperator},
                 {"vera", "viewer", kViewer}})
        .twoPersonRule(twoPersonRule);
}

std::unique_ptr<Process> gateway(const std::filesystem::path& dir, const std::filesystem::path& config,
                                 const std::string& name) {
    return std::make_unique<Process>(std::vector<std::string>{LOA_GATEWAY_BIN, "--config", config.string()},
                                     dir / (name + ".out"), dir / (name + ".log"));
}

/// A loa-station on 127.0.0.1:`port` under key `fill`, for `seconds`, its audio in NAME.wav.
std::unique_ptr<Process> station(const std::filesystem::path& dir, const std::string& name, uint16_t port,
                                 uint8_t fill, double seconds) {
    return startStation(dir, name, port, std::vector<uint8_t>(30, fill), seconds);
}

/// Waits until `pred` holds (polled every 20 ms), up to `timeout`.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (pred()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return pred();
}

/// The ids of the emergencies `api` lists as pending or on air.
std::vector<std::string> live(const ApiClient& api) {
    std::vector<std::string> ids;
    for (const auto& e : api.get("/api/emergencies"))
        ids.push_back(e.value("id", ""));
    return ids;
}

/// A centre and a province on loopback: the centre serves the province (a station with area
/// '48' whose stream is the province's upstream), the province serves `stations`.
struct Tree {
    uint16_t centreMedia = freeUdpPort(), centreApi = freeUdpPort(), provinceMedia = freeUdpPort(),
             provinceApi = freeUdpPort(), upstream = freeUdpPort();
    std::filesystem::path centre, province;

    /// `pinned`: the province takes its upstream only from the centre's media address.
    Tree(const std::filesystem::path& dir, bool provinceTakesTests, bool twoPersonRule, int toneMs,
         const std::vector<StationConfig>& stations, bool pinned = false,
         std::optional<int> upstreamReturnMs = std::nullopt) {
        centre = ConfigBuilder("central", loopback(centreMedia))
                     .stateDir("state-centre")
                     .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                     .station(StationConfig("province-48", "national")
                                  .area("48")
                                  .acceptsTests(provinceTakesTests)
                                  .address(loopback(upstream))
                                  .key(b64(0x48)))
                     .api(operatorsApi(centreApi, twoPersonRule))
                     .emergency(EmergencyConfig().toneMs(toneMs))
                     .write(dir / "centre.yaml");
        IngestConfig fromCentre = IngestConfig(loopback(upstream)).key(b64(0x48)).parent("central").silenceS(0);
        if (pinned) fromCentre.source(loopback(centreMedia));
        if (upstreamReturnMs) fromCentre.returnMs(*upstreamReturnMs);
        ConfigBuilder config("province-48", loopback(provinceMedia));
        config.stateDir("state-province")
            .programme(ProgrammeConfig("province").playlist({segment("a880.opus")}).upstream(fromCentre))
            .api(operatorsApi(provinceApi));
        for (const auto& s : stations)
            config.station(s);
        province = config.write(dir / "province.yaml");
    }
};

}  // namespace

// Three tiers: a centre's test alert reaches, through a province, only the communes that take
// tests, labelled as a test with the centre's id; the province records it as the centre's, audits
// it, and refuses to cancel it locally.
TEST(AlertMeaning, ACentresTestAlertReachesThroughAProvinceOnlyTheCommunesThatTakeTestsLabelledAsATest) {
    TempDir dir;
    const uint16_t takesTests = freeUdpPort(), noTests = freeUdpPort();
    const Tree tree(
        dir.path(), true, false, 20000,
        {StationConfig("c-takes-tests", "province")
             .area("48/490/1")
             .acceptsTests()
             .address(loopback(takesTests))
             .key(b64(0x71)),
         StationConfig("c-no-tests", "province").area("48/490/2").address(loopback(noTests)).key(b64(0x72))},
        true);
    const auto centreConfig = tree.centre, provinceConfig = tree.province;
    const uint16_t centreApi = tree.centreApi, provinceApi = tree.provinceApi;
    const ApiClient centre{centreApi, kDuty}, province{provinceApi, kDuty};
    auto withTests = station(dir.path(), "c-takes-tests", takesTests, 0x71, 9);
    auto withoutTests = station(dir.path(), "c-no-tests", noTests, 0x72, 9);
    auto centreGw = gateway(dir.path(), centreConfig, "centre");
    auto provinceGw = gateway(dir.path(), provinceConfig, "province");
    ASSERT_TRUE(centre.waitReady(10s)) << centreGw->errors();
    ASSERT_TRUE(province.waitReady(10s)) << provinceGw->errors();
    std::this_thread::sleep_for(2s);

    const int64_t sent = unixMs();
    const auto answer = centre.call("POST", "/api/emergencies",
                                    R"({"status":"test","targets":{"areas":["48"]},"note":"weekly test"})");
    ASSERT_EQ(answer.status, 201) << answer.body;
    const std::string id = Json::parse(answer.body)["id"];
    // The province's own record of it: the same id and status, the centre as its origin.
    ASSERT_TRUE(eventually([&] { return live(province) == std::vector<std::string>{id}; }, 3s))
        << province.get("/api/emergencies").dump();
    const auto record = province.get("/api/emergencies/" + id);
    EXPECT_EQ(record["status"], "test");
    EXPECT_EQ(record["origin"], "central");
    EXPECT_EQ(record["relayed"], true);
    EXPECT_EQ(record["stations"], Json::array({"c-takes-tests"})) << "its own accepts_tests applies";
    const auto audit = province.get("/api/audit?limit=20").dump();
    EXPECT_NE(audit.find("emergency.relay"), std::string::npos) << audit;
    // A local cancel of the centre's alert is refused, and says why.
    const auto cancel = province.call("POST", "/api/emergencies/" + id + "/cancel");
    EXPECT_EQ(cancel.status, 409) << cancel.body;
    EXPECT_NE(cancel.body.find("central"), std::string::npos) << cancel.body;
    std::this_thread::sleep_for(2s);
    ASSERT_EQ(centre.call("POST", "/api/emergencies/" + id + "/cancel").status, 200);
    EXPECT_TRUE(eventually([&] { return live(province).empty(); }, 3s)) << "the province kept it after the centre ended it";

    ASSERT_EQ(withTests->wait(20s), 0);
    ASSERT_EQ(withoutTests->wait(20s), 0);
    EXPECT_EQ(centreGw->stop(), 0) << centreGw->errors();
    EXPECT_EQ(provinceGw->stop(), 0) << provinceGw->errors();
    // The commune that takes tests heard it at once, labelled as the centre's test.
    const auto heard = alertChanges(withTests->output());
    const auto on = std::find_if(heard.begin(), heard.end(), [&](const HeardAlert& a) { return a.id == id; });
    ASSERT_NE(on, heard.end()) << withTests->output();
    EXPECT_EQ(on->status, "test");
    std::cout << "[ MEASURE  ] the centre's test alert reached the commune " << on->atMs - sent
              << " ms after the request\n";
    EXPECT_LE(on->atMs - sent, 1000);
    // The one that takes no tests never heard it, nor the emergency level: the province's programme.
    EXPECT_TRUE(alertChanges(withoutTests->output()).empty()) << withoutTests->output();
    for (const auto& [at, level] : priorityChanges(withoutTests->output()))
        EXPECT_NE(level, 1) << "c-no-tests heard the emergency level at " << at;
}

// A province's own test never takes the air from its parent's actual alert at a station both
// list; the test reaches that station when the actual alert ends.
TEST(AlertMeaning, AProvincialTestNeverReplacesTheParentsActualAlert) {
    TempDir dir;
    const uint16_t commune = freeUdpPort();
    const Tree tree(
        dir.path(), false, true, 20000,
        {StationConfig("c-1", "province").area("48/490/1").acceptsTests().address(loopback(commune)).key(b64(0x71))});
    const auto centreConfig = tree.centre, provinceConfig = tree.province;
    const uint16_t centreApi = tree.centreApi, provinceApi = tree.provinceApi;
    const ApiClient centre{centreApi, kDuty}, province{provinceApi, kDuty};
    const ApiClient centreSecond{centreApi, kSecond};
    auto listener = station(dir.path(), "c-1", commune, 0x71, 10);
    auto centreGw = gateway(dir.path(), centreConfig, "centre");
    auto provinceGw = gateway(dir.path(), provinceConfig, "province");
    ASSERT_TRUE(centre.waitReady(10s)) << centreGw->errors();
    ASSERT_TRUE(province.waitReady(10s)) << provinceGw->errors();
    std::this_thread::sleep_for(1s);

    const auto actual = centre.call("POST", "/api/emergencies", R"({"status":"actual","targets":{"all":true}})");
    ASSERT_EQ(actual.status, 202) << actual.body;
    const std::string actualId = Json::parse(actual.body)["id"];
    ASSERT_EQ(centreSecond.call("POST", "/api/emergencies/" + actualId + "/confirm").status, 200);
    ASSERT_TRUE(eventually([&] { return live(province) == std::vector<std::string>{actualId}; }, 3s));
    // The province's own test, for the same commune, while the centre's actual alert is on air.
    const int64_t testSent = unixMs();
    const auto test = province.call("POST", "/api/emergencies", R"({"status":"test","targets":{"all":true}})");
    ASSERT_EQ(test.status, 201) << test.body;
    const std::string testId = Json::parse(test.body)["id"];
    std::this_thread::sleep_for(3s);
    const int64_t actualEnds = unixMs();
    ASSERT_EQ(centre.call("POST", "/api/emergencies/" + actualId + "/cancel").status, 200);
    std::this_thread::sleep_for(2s);

    ASSERT_EQ(listener->wait(20s), 0);
    EXPECT_EQ(centreGw->stop(), 0) << centreGw->errors();
    EXPECT_EQ(provinceGw->stop(), 0) << provinceGw->errors();
    const auto heard = alertChanges(listener->output());
    for (const auto& a : heard) {
        if (a.atMs >= testSent && a.atMs < actualEnds) {
            EXPECT_EQ(a.id, actualId) << "the commune heard " << a.id << " during the actual alert";
        }
    }
    EXPECT_EQ(alertAt(heard, actualEnds - 100), actualId);
    EXPECT_EQ(alertAt(heard, actualEnds + 1500), testId) << "the province's test, once the actual alert ended";
}

// A station whose definition changes twice during an actual alert, and one learned from its
// first report after the alert started, are in the alert from their next frame.
TEST(AlertMeaning, AStationChangedOrLearnedDuringAnAlertFollowsItFromItsNextFrame) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort(), fixedPort = freeUdpPort(),
                   otherPort = freeUdpPort(), learnedPort = freeUdpPort();
    const auto config =
        ConfigBuilder("gw", loopback(media))
            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
            .station(StationConfig("fixed", "national").area("01/001").address(loopback(fixedPort)).key(b64(0x31)))
            .station(StationConfig("learned", "national").area("01/002").port(learnedPort).key(b64(0x32)))
            .api(operatorsApi(apiPort))
            .emergency(EmergencyConfig().toneMs(30000))
            .write(dir.path() / "gw.yaml");
    const ApiClient duty{apiPort, kDuty}, ops{apiPort, kOperator};
    auto gw = gateway(dir.path(), config, "gw");
    ASSERT_TRUE(duty.waitReady(10s)) << gw->errors();
    auto fixed = station(dir.path(), "fixed", fixedPort, 0x31, 7);
    std::this_thread::sleep_for(1s);
    const auto alert = duty.call("POST", "/api/emergencies", R"({"status":"actual","targets":{"areas":["01"]}})");
    ASSERT_EQ(alert.status, 201) << alert.body;
    const std::string id = Json::parse(alert.body)["id"];
    std::this_thread::sleep_for(1s);
    // The station's address changed, and changed back, during the alert.
    const std::string definition = R"({"id":"fixed","programme":"national","area":"01/001","key":")" + b64(0x31) +
                                   R"(","address":")";
    ASSERT_EQ(ops.call("POST", "/api/stations/fixed", definition + "127.0.0.1:" + std::to_string(otherPort) + "\"}")
                  .status,
              200);
    ASSERT_EQ(ops.call("POST", "/api/stations/fixed", definition + "127.0.0.1:" + std::to_string(fixedPort) + "\"}")
                  .status,
              200);
    const int64_t changed = unixMs();
    // A station without an address, heard from for the first time now.
    const std::string sdp = stationKeys(config, "learned", true);
    std::ofstream(dir.path() / "learned.sdp") << sdp;
    const int64_t learnedStarts = unixMs();
    Process learned({LOA_STATION_BIN, "--sdp", (dir.path() / "learned.sdp").string(), "--duration", "3", "--state",
                     (dir.path() / "learned-state").string()},
                    dir.path() / "learned.json", dir.path() / "learned.log");
    ASSERT_EQ(learned.wait(15s), 0) << learned.errors();
    ASSERT_EQ(fixed->wait(15s), 0);
    const auto record = duty.get("/api/emergencies/" + id);
    EXPECT_EQ(gw->stop(), 0) << gw->errors();

    // After the changes, the fixed station hears the alert again within a frame or two.
    const auto fixedHeard = alertChanges(fixed->output());
    EXPECT_EQ(alertAt(fixedHeard, changed + 200), id) << fixed->output();
    EXPECT_EQ(alertAt(fixedHeard, unixMs()), id) << "it dropped out of the alert";
    // The learned station's very first packet is the alert's.
    const auto first = priorityChanges(learned.output());
    ASSERT_FALSE(first.empty()) << learned.output();
    EXPECT_EQ(first.front().second, 1) << "its first packets were the programme's, not the alert's";
    EXPECT_EQ(alertChanges(learned.output()).front().id, id);
    EXPECT_LE(first.front().first - learnedStarts, 1500);
    EXPECT_NE(record["stations"].dump().find("learned"), std::string::npos) << record.dump();
}

// CAP: four Test alerts on air, then an actual alert confirmed by a second person takes a test's
// slot; a Test Cancel and a Test Update referencing the actual alert end nothing.
TEST(AlertMeaning, AnActualCapAlertTakesATestsSlotAndNoTestMessageEndsIt) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort(), port = freeUdpPort();
    const auto config = ConfigBuilder("gw", loopback(media))
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .station(StationConfig("hanoi-1", "national")
                                         .area("01/001/00001")
                                         .acceptsTests()
                                         .address(loopback(port))
                                         .key(b64(0x41)))
                            .api(operatorsApi(apiPort, true))
                            .emergency(EmergencyConfig().toneMs(30000).slots(4))
                            .write(dir.path() / "gw.yaml");
    const ApiClient duty{apiPort, kDuty}, second{apiPort, kSecond};
    auto gw = gateway(dir.path(), config, "gw");
    ASSERT_TRUE(duty.waitReady(10s)) << gw->errors();
    auto listener = station(dir.path(), "hanoi-1", port, 0x41, 6);
    const auto cap = [&](const std::string& file, const std::string& status, const std::string& identifier) {
        auto xml = Process::slurp(dataFile("cap/" + file));
        xml = std::regex_replace(xml, std::regex("<status>Actual</status>"), "<status>" + status + "</status>");
        if (!identifier.empty())
            xml = std::regex_replace(xml, std::regex("VN-NCHMF-2026-1123-001</identifier>"), identifier + "</identifier>");
        // Expiry far ahead, so the document is current whenever the test runs.
        xml = std::regex_replace(xml, std::regex("<expires>[^<]*</expires>"), "<expires>2099-01-01T00:00:00+07:00</expires>");
        return duty.call("POST", "/api/cap", xml);
    };
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(cap("flood-alert.xml", "Test", "VN-TEST-" + std::to_string(i)).status, 200);
    const auto pending = cap("flood-alert.xml", "Actual", "");
    ASSERT_EQ(pending.status, 200) << pending.body;
    const std::string id = Json::parse(pending.body)[0]["id"];
    const auto confirmed = second.call("POST", "/api/emergencies/" + id + "/confirm");
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
    EXPECT_EQ(Json::parse(confirmed.body)["state"], "active") << "all four slots were on air with tests";
    EXPECT_EQ(live(duty).size(), 4u) << "one test gave up its slot";
    // A Test Cancel and a Test Update that reference the actual alert: refused, it stays on air.
    auto cancelXml = Process::slurp(dataFile("cap/flood-cancel.xml"));
    cancelXml = std::regex_replace(cancelXml, std::regex("VN-NCHMF-2026-1123-002"), "VN-NCHMF-2026-1123-001");
    cancelXml = std::regex_replace(cancelXml, std::regex("<status>Actual</status>"), "<status>Test</status>");
    const auto testCancel = duty.call("POST", "/api/cap", cancelXml);
    EXPECT_EQ(testCancel.status, 409) << testCancel.body;
    EXPECT_EQ(cap("flood-update.xml", "Test", "").status, 409);
    EXPECT_EQ(duty.get("/api/emergencies/" + id)["state"], "active");
    ASSERT_EQ(listener->wait(15s), 0);
    EXPECT_EQ(gw->stop(), 0) << gw->errors();
    EXPECT_EQ(alertAt(alertChanges(listener->output()), unixMs()), id) << listener->output();
}

// A child follows its parent's alert from the parent's first packet after the parent restarts
// mid-alert (no return delay), and the attention tone is heard at the commune again.
TEST(AlertMeaning, AfterTheCentreRestartsMidAlertTheCommunesHearItsToneAgainAtOnce) {
    TempDir dir;
    const uint16_t commune = freeUdpPort();
    const Tree tree(dir.path(), false, true, 3000,
                    {StationConfig("c-1", "province").address(loopback(commune)).key(b64(0x71))}, false, 2000);
    const auto centreConfig = tree.centre, provinceConfig = tree.province;
    const uint16_t centreApi = tree.centreApi, provinceApi = tree.provinceApi;
    const ApiClient centre{centreApi, kDuty}, province{provinceApi, kViewer};
    auto listener = station(dir.path(), "c-1", commune, 0x71, 12);
    const int64_t listenerStart = unixMs();
    auto centreGw = gateway(dir.path(), centreConfig, "centre");
    auto provinceGw = gateway(dir.path(), provinceConfig, "province");
    ASSERT_TRUE(centre.waitReady(10s)) << centreGw->errors();
    ASSERT_TRUE(province.waitReady(10s)) << provinceGw->errors();
    std::this_thread::sleep_for(1500ms);
    const auto alert = centre.call("POST", "/api/emergencies", R"({"status":"actual","targets":{"all":true}})");
    ASSERT_EQ(alert.status, 202) << alert.body;
    const std::string id = Json::parse(alert.body)["id"];
    ASSERT_EQ(ApiClient({centreApi, kSecond}).call("POST", "/api/emergencies/" + id + "/confirm").status, 200);
    std::this_thread::sleep_for(4s);  // past its first tone
    centreGw->signal(SIGKILL);
    centreGw->wait(5s);
    centreGw = gateway(dir.path(), centreConfig, "centre-again");  // it resumes the alert, tone first
    ASSERT_TRUE(centre.waitReady(10s)) << centreGw->errors();
    const int64_t resumed = unixMs();
    ASSERT_EQ(listener->wait(20s), 0);
    EXPECT_EQ(centreGw->stop(), 0) << centreGw->errors();
    EXPECT_EQ(provinceGw->stop(), 0) << provinceGw->errors();

    // From the centre's return on, the commune hears the alert's tone (853 + 960 Hz) within a
    // fraction of a second, and for most of its three seconds.
    const auto audio = loa::readWav(dir.path() / "c-1.wav").samples;
    const auto heard = alertChanges(listener->output());
    ASSERT_EQ(alertAt(heard, unixMs()), id) << listener->output();
    const auto back = std::find_if(heard.begin(), heard.end(), [&](const HeardAlert& a) { return a.atMs > resumed - 500 && a.id == id; });
    // The WAV starts at the listener's first packet; find its sample for the centre's return.
    const auto changes = priorityChanges(listener->output());
    ASSERT_FALSE(changes.empty());
    const int64_t firstPacket = changes.front().first;
    const size_t from = static_cast<size_t>(std::max<int64_t>(0, resumed - firstPacket)) * 48;
    size_t toneWindows = 0, firstTone = 0;
    for (size_t at = from; at + 4800 <= audio.size() && at < from + 48000 * 4; at += 4800) {
        const double e = energy(audio, at, 4800);
        const bool tone = e > 0 && powerAt(audio, at, 4800, 853) + powerAt(audio, at, 4800, 960) > 0.3 * e * 4800 / 2;
        if (tone && !toneWindows) firstTone = at;
        toneWindows += tone;
    }
    std::cout << "[ MEASURE  ] after the centre's return: the tone at the commune "
              << (firstTone ? static_cast<int64_t>((firstTone - from) / 48) : -1) << " ms later, in "
              << toneWindows * 100 << " ms of the next 4 s\n";
    EXPECT_GE(toneWindows, 20u) << "the tone was cut: " << (back != heard.end() ? "relayed again" : "not relayed");
    EXPECT_LE(firstTone - from, 48u * 1000) << "it took the return delay to follow again";
    EXPECT_GT(listenerStart, 0);
}

// A station on a second programme, of another format (payload type 111, stereo), hears an
// emergency in its own programme's format.
TEST(AlertMeaning, AnEmergencyReachesAStationOfAnotherProgrammeFormatInThatFormat) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort(), mono = freeUdpPort(), stereo = freeUdpPort();
    const auto config = ConfigBuilder("gw", loopback(media))
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .programme(ProgrammeConfig("music")
                                           .payloadType(111)
                                           .channels(2)
                                           .bitrate(64000)
                                           .playlist({segment("a880.opus")}))
                            .station(StationConfig("mono", "national").address(loopback(mono)))
                            .station(StationConfig("stereo", "music").address(loopback(stereo)))
                            .api(operatorsApi(apiPort))
                            .emergency(EmergencyConfig().toneMs(5000))
                            .write(dir.path() / "gw.yaml");
    std::ofstream(dir.path() / "stereo.sdp") << stationKeys(config, "stereo", true);
    const ApiClient duty{apiPort, kDuty};
    auto gw = gateway(dir.path(), config, "gw");
    ASSERT_TRUE(duty.waitReady(10s)) << gw->errors();
    Process listener({LOA_STATION_BIN, "--sdp", (dir.path() / "stereo.sdp").string(), "--duration", "4", "--state",
                      (dir.path() / "stereo-state").string(), "--wav",
                      (dir.path() / "stereo.wav").string()},
                     dir.path() / "stereo.json", dir.path() / "stereo.log");
    std::this_thread::sleep_for(1500ms);
    const auto alert = duty.call("POST", "/api/emergencies", R"({"status":"actual","targets":{"all":true}})");
    ASSERT_EQ(alert.status, 201) << alert.body;
    ASSERT_EQ(listener.wait(15s), 0) << listener.errors();
    EXPECT_EQ(gw->stop(), 0) << gw->errors();
    const auto stats = parseStats(listener.output());
    EXPECT_EQ(stats.at("malformed"), 0) << "packets of another payload type: " << listener.output();
    EXPECT_EQ(stats.at("undecodable"), 0);
    EXPECT_EQ(stats.at("last_priority"), 1) << listener.output();
    EXPECT_EQ(alertAt(alertChanges(listener.output()), unixMs()), Json::parse(alert.body)["id"]);
    // Its last two seconds: the alert tone, decoded in stereo.
    const auto wav = loa::readWav(dir.path() / "stereo.wav");
    EXPECT_EQ(wav.channels, 2);
    ASSERT_GT(wav.samples.size(), 48000u * 2 * 2);
    std::vector<float> left;
    for (size_t i = wav.samples.size() - 48000 * 2; i + 1 < wav.samples.size(); i += 2)
        left.push_back(wav.samples[i]);
    const double e = energy(left, 0, left.size());
    EXPECT_GT(powerAt(left, 0, left.size(), 853) + powerAt(left, 0, left.size(), 960),
              0.3 * e * static_cast<double>(left.size()) / 2);
}
