// The operator console in a real browser: this test runs a gateway with three stations on
// loopback and tests/browser/console.mjs drives Debian's chromium against it (playwright-core).
// The script clicks through overview, stations, a test and an actual emergency (typed phrase,
// second operator), the audit log, the schedule and health; this side stops a station's receiver
// when asked, and checks afterwards what each station's receiver actually heard.
// Screenshots go to build/tests/artifacts/console/.

#include <gtest/gtest.h>

#include <fstream>

#include "ApiClient.hpp"
#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "TestData.hpp"

using namespace loa::test;
using namespace std::chrono_literals;

namespace {

/// Why the browser test cannot run here, or empty.
std::string browserMissing(const std::filesystem::path& script) {
    const char* chromium = std::getenv("LOA_CHROMIUM");
    if (!std::filesystem::exists(chromium ? chromium : "/usr/bin/chromium"))
        return "no chromium (scripts/setup installs Debian's chromium)";
    if (std::system("command -v node >/dev/null 2>&1") != 0) return "no node";
    if (!std::filesystem::exists(script.parent_path() / "node_modules/playwright-core"))
        return "no playwright-core in tests/browser/node_modules (scripts/setup runs npm ci there)";
    return {};
}

int countEmergencyStarts(const std::string& json) {
    int n = 0;
    for (const auto& [ms, priority] : priorityChanges(json))
        n += priority == 1;
    return n;
}

}  // namespace

TEST(Console, AnOperatorSeesTheNetworkLiveAndSendsTestAndActualEmergenciesSafely) {
    const auto script = sourceDir() / "tests/browser/console.mjs";
    if (const auto why = browserMissing(script); !why.empty()) GTEST_SKIP() << "browser test skipped: " << why;
    TempDir dir;
    const uint16_t media = freeUdpPort(), api = freeUdpPort();
    const std::vector<std::tuple<std::string, std::string, bool>> stations = {
        {"hanoi-1", "01/001/00001", true}, {"hanoi-2", "01/001/00002", false}, {"hue-1", "46/474/19753", false}};
    ConfigBuilder gw("province-01", loopback(media));
    gw.stationOfflineS(5)
        .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
        .api(ApiConfig(loopback(api))
                 .tokens({{"alice", "emergency", kAlice},
                          {"bob", "emergency", kBob},
                          {"vera", "viewer", kVera},
                          {"olga", "operator", kOlga}}))
        .emergency(EmergencyConfig().toneMs(2000));
    int i = 0;
    for (const auto& [id, area, tests] : stations) {
        auto station =
            StationConfig(id, "national").area(area).port(freeUdpPort()).key(b64(static_cast<uint8_t>(0x40 + i++)));
        if (tests) station.acceptsTests();
        gw.station(station);
    }
    const auto config = gw.write(dir.path() / "gw.yaml");
    std::map<std::string, std::unique_ptr<Process>> receivers;
    for (const auto& [id, area, tests] : stations) {
        std::ofstream(dir.path() / (id + ".sdp")) << stationKeys(config, id, true);
        receivers[id] = std::make_unique<Process>(
            std::vector<std::string>{LOA_STATION_BIN, "--sdp", (dir.path() / (id + ".sdp")).string(), "--duration", "120",
                                     "--state", (dir.path() / (id + "-state")).string()},
            dir.path() / (id + ".json"), dir.path() / (id + ".log"));
    }
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");

    const auto artifacts = std::filesystem::path(LOA_ARTIFACTS_DIR) / "console";
    std::filesystem::remove_all(artifacts);
    auto browser = spawnWithEnvironment({{"LOA_URL", "http://127.0.0.1:" + std::to_string(api)},
                                         {"LOA_ARTIFACTS", artifacts.string()},
                                         {"LOA_SEGMENT", (sourceDir() / "config/segments/tone-1khz.wav").string()},
                                         {"LOA_ALICE", kAlice},
                                         {"LOA_BOB", kBob},
                                         {"LOA_VERA", kVera},
                                         {"LOA_OLGA", kOlga}},
                                        {"node", script.string()}, dir.path() / "browser.out",
                                        dir.path() / "browser.err");
    // Act on the script's steps until it ends.
    const auto until = std::chrono::steady_clock::now() + 150s;
    bool stopped = false;
    while (browser->running() && std::chrono::steady_clock::now() < until) {
        if (!stopped && browser->output().find("STEP offline-wanted") != std::string::npos) {
            receivers["hue-1"]->signal(SIGTERM);  // its reports stop: the gateway calls it offline
            stopped = true;
        }
        std::this_thread::sleep_for(100ms);
    }
    const int code = browser->wait(5s);
    EXPECT_EQ(code, 0) << browser->output() << browser->errors() << "\nscreenshots in " << artifacts;
    EXPECT_NE(browser->output().find("STEP done"), std::string::npos) << browser->output();
    std::cout << browser->output();

    for (auto& [id, receiver] : receivers) {
        receiver->signal(SIGTERM);
        EXPECT_EQ(receiver->wait(10s), 0) << id << ": " << receiver->errors();
    }
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    // What the loudspeakers would have played: the test only where tests are accepted; the
    // actual alert in area 01 only.
    EXPECT_EQ(countEmergencyStarts(receivers["hanoi-1"]->output()), 2) << receivers["hanoi-1"]->output();
    EXPECT_EQ(countEmergencyStarts(receivers["hanoi-2"]->output()), 1) << receivers["hanoi-2"]->output();
    EXPECT_EQ(countEmergencyStarts(receivers["hue-1"]->output()), 0) << receivers["hue-1"]->output();
    const auto stats = parseStats(receivers["hanoi-2"]->output());
    EXPECT_EQ(stats.at("decrypt_failures"), 0);
    // Heard throughout: at least the 4 s it was on air before the alerts, whatever the build's speed.
    EXPECT_GE(stats.at("decoded"), 200) << receivers["hanoi-2"]->output();
}
