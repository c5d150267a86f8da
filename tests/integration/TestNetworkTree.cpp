// A real network tree in network namespaces: a central gateway, two provincial gateways that
// relay it, and four commune stations behind a NAT host whose links lose 2% of packets (and,
// where the kernel has netem, add delay and jitter). It shows the national programme reaching
// every commune through its province, provincial content only in its own province, stations
// behind NAT learned from their reports, the central gateway restarted and relayed again, a
// provincial gateway restarted without the other province noticing, and a national emergency
// at every commune within 200 ms.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "NetNs.hpp"
#include "Process.hpp"
#include "StudioSender.hpp"
#include "TestData.hpp"
#include "WavWriter.hpp"
#include "api/HttpClient.hpp"

using namespace loa::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

const std::string kOperator = "loa_operator_0123456789abcdef";

}  // namespace

TEST(NetworkTree, NationalProvincialAndEmergencyThroughTwoProvincesToStationsBehindNat) {
    if (const auto why = netnsUnavailable(); !why.empty()) GTEST_SKIP() << "network tree not built: " << why;
    TempDir dir;
    const std::string tag = "loa" + std::to_string(::getpid() % 100000) + "-";
    // Hosts: a router joining the central, the two provinces and the NAT host; the stations
    // behind the NAT host.
    NetNs router(tag + "r"), central(tag + "c"), p1(tag + "p1"), p2(tag + "p2"), nat(tag + "nat"), communes(tag + "s");
    link(central, "wan0", "10.77.1.2/24", router, "to-c", "10.77.1.1/24");
    link(p1, "wan0", "10.77.2.2/24", router, "to-p1", "10.77.2.1/24");
    link(p2, "wan0", "10.77.3.2/24", router, "to-p2", "10.77.3.1/24");
    link(nat, "wan0", "10.77.4.2/24", router, "to-nat", "10.77.4.1/24");
    link(communes, "wan0", "192.168.77.2/24", nat, "lan0", "192.168.77.1/24");
    central.run("ip route add default via 10.77.1.1");
    p1.run("ip route add default via 10.77.2.1");
    p2.run("ip route add default via 10.77.3.1");
    nat.run("ip route add default via 10.77.4.1");
    communes.run("ip route add default via 192.168.77.1");
    router.run("sysctl -qw net.ipv4.ip_forward=1");
    nat.run("sysctl -qw net.ipv4.ip_forward=1");
    // The NAT: the communes' private addresses leave as the NAT host's own.
    nat.run("nft add table ip nat");
    nat.run("nft 'add chain ip nat post { type nat hook postrouting priority 100 ; }'");
    nat.run("nft add rule ip nat post oifname wan0 masquerade");
    // The station links: 2% loss each way, and delay with jitter where netem exists.
    nat.run("nft add table inet emu");
    nat.run("nft 'add chain inet emu lossy { type filter hook forward priority 0 ; }'");
    nat.run("nft add rule inet emu lossy numgen random mod 100 '<' 2 counter drop");
    bool netem = true;
    try {
        nat.run("tc qdisc add dev lan0 root netem delay 20ms 5ms");
        communes.run("tc qdisc add dev wan0 root netem delay 20ms 5ms");
    } catch (const std::exception&) {
        netem = false;
        std::cout << "[ NOTE     ] this kernel has no netem: the station links lose 2% but add no delay\n";
    }

    // Central: the national programme (440 Hz) to the two provinces, and the emergency API.
    const uint16_t media = 5004, upstream = 5006, live = 5008, api = 8080;
    const auto centralConfig =
        ConfigBuilder("central", "10.77.1.2:" + std::to_string(media))
            .stateDir("state-central")
            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
            .station(StationConfig("province-1", "national")
                         .area("01")
                         .address("10.77.2.2:" + std::to_string(upstream))
                         .key(b64(0x51)))
            .station(StationConfig("province-2", "national")
                         .area("46")
                         .address("10.77.3.2:" + std::to_string(upstream))
                         .key(b64(0x52)))
            .api(ApiConfig(loopback(api)).twoPersonRule(false).token("duty", "emergency", kOperator))
            .emergency(EmergencyConfig().toneMs(10000))
            .write(dir.path() / "central.yaml");
    // Provinces: the central as upstream, a studio of their own; communes without an address,
    // learned from their reports through the NAT.
    auto province = [&](int n, uint8_t relayKey) {
        const std::string host = "10.77." + std::to_string(n + 1) + ".2";
        ConfigBuilder config("province-" + std::to_string(n), host + ":" + std::to_string(media));
        config.stateDir("state-p" + std::to_string(n))
            .programme(ProgrammeConfig("province")
                           .upstream(IngestConfig(host + ":" + std::to_string(upstream))
                                         .key(b64(relayKey))
                                         .jitterMs(60)
                                         .timeoutMs(500)
                                         .returnMs(500)
                                         .silenceS(0))
                           .live(IngestConfig(host + ":" + std::to_string(live))
                                     .key(b64(0x60))
                                     .jitterMs(40)
                                     .timeoutMs(300)
                                     .returnMs(400)
                                     .silenceS(0)));
        for (int c = 0; c < 2; ++c) {
            config.station(StationConfig("commune-" + std::to_string(n) + std::to_string(c), "province")
                               .port(static_cast<uint16_t>(6000 + 10 * n + c))
                               .key(b64(static_cast<uint8_t>(0x70 + 10 * n + c))));
        }
        return config.write(dir.path() / ("province-" + std::to_string(n) + ".yaml"));
    };
    const auto p1Config = province(1, 0x51), p2Config = province(2, 0x52);

    auto gateway = [&](const NetNs& host, const std::filesystem::path& config, const std::string& name) {
        return std::make_unique<Process>(host.exec({LOA_GATEWAY_BIN, "--config", config.string()}),
                                         dir.path() / (name + ".out"), dir.path() / (name + ".log"));
    };
    auto centralGw = gateway(central, centralConfig, "central");
    auto p1Gw = gateway(p1, p1Config, "p1");
    auto p2Gw = gateway(p2, p2Config, "p2");

    // The communes: each from its SDP, reporting to its province's media port.
    struct Commune {
        std::string id;
        std::filesystem::path config;
        std::unique_ptr<Process> process;
    };
    std::vector<Commune> stations;
    for (int n : {1, 2}) {
        for (int c = 0; c < 2; ++c) {
            Commune s{"commune-" + std::to_string(n) + std::to_string(c), n == 1 ? p1Config : p2Config, nullptr};
            const auto sdp = dir.path() / (s.id + ".sdp");
            std::ofstream(sdp) << stationKeys(s.config, s.id, true);
            s.process = std::make_unique<Process>(
                communes.exec({LOA_STATION_BIN, "--sdp", sdp.string(), "--state", sdp.string() + ".state", "--duration", "17",
                               "--jitter-ms", "80", "--wav",
                               (dir.path() / (s.id + ".wav")).string()}),
                dir.path() / (s.id + ".json"), dir.path() / (s.id + ".log"));
            stations.push_back(std::move(s));
        }
    }
    const auto start = std::chrono::steady_clock::now();

    // 4 s of national programme, then province 1's studio (800 Hz) for its own communes.
    std::this_thread::sleep_until(start + 4s);
    std::unique_ptr<loa::StudioSender> studio;
    p1.inside([&] {
        loa::StudioOptions o;
        o.destination = *loa::SocketAddress::parse("10.77.2.2:" + std::to_string(live));
        o.key = std::vector<uint8_t>(30, 0x60);
        o.toneHz = 800;
        studio = std::make_unique<loa::StudioSender>(o);
    });
    studio->start();

    // The central gateway restarts: province 2 falls back to its filler and takes the national
    // programme again as it returns (province 1 is on its own studio meanwhile).
    std::this_thread::sleep_until(start + 5s);
    EXPECT_EQ(centralGw->stop(), 0) << centralGw->errors();
    centralGw = gateway(central, centralConfig, "central-again");
    const int64_t centralBack = unixMs();

    // Province 2 restarts; province 1's communes must not notice.
    std::this_thread::sleep_until(start + 7500ms);
    EXPECT_EQ(p2Gw->stop(), 0) << p2Gw->errors();
    p2Gw = gateway(p2, p2Config, "p2-again");

    // A national emergency for every commune.
    std::this_thread::sleep_until(start + 11s);
    int64_t triggered = 0;
    loa::HttpResult alert;
    central.inside([&] {
        triggered = unixMs();
        loa::HttpTarget target;
        target.url = "http://127.0.0.1:" + std::to_string(api);
        target.token = kOperator;
        alert = loa::httpRequest(target, "POST", "/api/emergencies",
                                 R"({"status":"actual","targets":{"all":true}})");
    });
    ASSERT_TRUE(alert.status == 200 || alert.status == 201 || alert.status == 202) << alert.status << alert.body;
    EXPECT_EQ(Json::parse(alert.body)["state"], "active") << alert.body;

    for (auto& s : stations)
        ASSERT_EQ(s.process->wait(30s), 0) << s.id << ": " << s.process->errors();
    studio->stop();
    for (auto* g : {&centralGw, &p1Gw, &p2Gw})
        EXPECT_EQ((*g)->stop(), 0) << (*g)->errors();

    for (auto& s : stations) {
        SCOPED_TRACE(s.id);
        const std::string json = s.process->output();
        const auto stats = parseStats(json);
        const bool provinceOne = s.id.starts_with("commune-1");
        EXPECT_GE(stats.at("decoded"), 500) << json;  // of ~850 frames, less start-up and the restart
        EXPECT_EQ(stats.at("decrypt_failures"), 0) << json;
        if (provinceOne) {
            EXPECT_EQ(stats.at("restarts"), 0) << "province 1's stream broke when province 2 restarted";
        }

        // What it heard, in order: the national programme, then its province's studio (province
        // 1 only), then the emergency (two tones, matched by neither).
        const auto audio = loa::readWav(dir.path() / (s.id + ".wav")).samples;
        const auto runs = toneRuns(audio, {440, 800});
        SCOPED_TRACE(describe(runs));
        EXPECT_EQ(sequenceOf(runs, 10), provinceOne ? (std::vector<int>{440, 800}) : (std::vector<int>{440}));
        if (provinceOne) {
            // From its first sound on, no gap: not at the studio, the restart next door, or the alert.
            const auto first = std::find_if(audio.begin(), audio.end(), [](float x) { return std::abs(x) > 0.01f; });
            EXPECT_LT(longestGapMs(std::vector<float>(first, audio.end()), 48000, 0.01f), 150) << "a gap in province 1";
        }

        // The emergency reached it within 200 ms of the operator's request.
        const auto changes = priorityChanges(json);
        const auto emergency = std::find_if(changes.begin(), changes.end(),
                                            [&](const auto& c) { return c.second == 1 && c.first >= triggered; });
        ASSERT_NE(emergency, changes.end()) << "no emergency heard: " << json;
        const int64_t latency = emergency->first - triggered;
        std::cout << "[ MEASURE  ] " << s.id << ": emergency " << latency << " ms after the request"
                  << (netem ? " (links with 20±5 ms delay, 2% loss)" : " (links with 2% loss)") << "\n";
        EXPECT_LE(latency, 200);
        if (!provinceOne) {
            // The national programme again after the central's restart (level 3, upstream).
            EXPECT_TRUE(std::any_of(changes.begin(), changes.end(),
                                    [&](const auto& c) { return c.first > centralBack && c.second == 3; }))
                << "the national programme did not return after the central gateway restarted: " << json;
        }
        // Provincial content stayed in its province: province 2 never heard a live studio.
        const bool heardLive = std::any_of(changes.begin(), changes.end(), [](const auto& c) { return c.second == 2; });
        EXPECT_EQ(heardLive, provinceOne);
    }
    // Each commune was learned from its reports, through the NAT host's address.
    for (const auto* log : {"p1.log", "p2.log"})
        EXPECT_NE(Process::slurp(dir.path() / log).find("reports from 10.77.4.2:"), std::string::npos) << log;
}
