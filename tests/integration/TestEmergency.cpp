// Emergency broadcasts through the control API, with real processes on loopback: roles, the
// two-person rule, targeting, test flags, the audit log, and a gateway killed mid-emergency.

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ApiClient.hpp"
#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "StudioSender.hpp"
#include "TestData.hpp"
#include "WavWriter.hpp"
#include "api/HttpClient.hpp"

using namespace loa::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

struct Gw {
    TempDir dir;
    uint16_t media = freeUdpPort(), api = freeUdpPort();
    uint16_t ports[3] = {freeUdpPort(), freeUdpPort(), freeUdpPort()};
    std::filesystem::path config;

    Gw() {
        config =
            ConfigBuilder("gw", loopback(media))
                .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                .station(StationConfig("hanoi-1", "national")
                             .area("01/001/00001")
                             .acceptsTests()
                             .address(loopback(ports[0]))
                             .key(b64(1)))
                .station(
                    StationConfig("hanoi-2", "national").area("01/001/00002").address(loopback(ports[1])).key(b64(2)))
                .station(
                    StationConfig("hue-1", "national").area("46/474/19753").address(loopback(ports[2])).key(b64(3)))
                .api(ApiConfig(loopback(api))
                         .tokens(
                             {{"alice", "emergency", kAlice}, {"bob", "emergency", kBob}, {"vera", "viewer", kVera}}))
                .emergency(EmergencyConfig().toneMs(1500).message("flood", segment("a880.opus")))
                .write(dir.path() / "gw.yaml");
    }

    std::unique_ptr<Process> start(const std::string& log = "gw.log") {
        auto p = std::make_unique<Process>(std::vector<std::string>{LOA_GATEWAY_BIN, "--config", config.string()},
                                           dir.path() / "gw.out", dir.path() / log);
        // Ready when the API answers.
        for (int i = 0; i < 50 && call("GET", "/api/status", kVera).first != 200; ++i)
            std::this_thread::sleep_for(100ms);
        return p;
    }

    std::unique_ptr<Process> station(int i, double seconds) {
        const std::string name = "st" + std::to_string(i);
        return std::make_unique<Process>(
            std::vector<std::string>{LOA_STATION_BIN, "--listen", "127.0.0.1:" + std::to_string(ports[i]), "--key",
                                     b64(static_cast<uint8_t>(i + 1)), "--duration", std::to_string(seconds), "--wav",
                                     (dir.path() / (name + ".wav")).string()},
            dir.path() / (name + ".json"), dir.path() / (name + ".log"));
    }

    /// (HTTP status, JSON body) of a request made with curl.
    std::pair<int, Json> call(const std::string& method, const std::string& path, const std::string& token,
                              const std::string& body = "") {
        std::vector<std::string> args = {"curl", "-s", "-m", "5", "-X", method, "-w", "\n%{http_code}"};
        if (!token.empty()) args.insert(args.end(), {"-H", "Authorization: Bearer " + token});
        if (!body.empty()) args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
        args.push_back("http://127.0.0.1:" + std::to_string(api) + path);
        Process curl(args, dir.path() / "curl.out", dir.path() / "curl.err");
        curl.wait(10s);
        const std::string out = curl.output();
        const auto nl = out.rfind('\n');
        if (nl == std::string::npos) return {0, {}};
        return {std::atoi(out.c_str() + nl + 1), Json::parse(out.substr(0, nl), nullptr, false)};
    }
};

/// A bare WebSocket client for the event stream: the upgrade, then text frames as they come.
class EventStream {
public:
    EventStream(uint16_t port, const std::string& token) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
        std::string request =
            "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n";
        if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
        request += "\r\n";
        (void)!::write(fd_, request.data(), request.size());
        const std::string answer = readUntil("\r\n\r\n", 3s);
        upgraded_ = answer.rfind("HTTP/1.1 101", 0) == 0;
        buffer_ = buffer_.substr(buffer_.find("\r\n\r\n") == std::string::npos ? 0 : buffer_.find("\r\n\r\n") + 4);
    }
    ~EventStream() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool upgraded() const { return upgraded_; }

    /// The events received within `wait`, parsed.
    std::vector<Json> events(std::chrono::milliseconds wait) {
        readUntil("\x01never", wait);
        std::vector<Json> out;
        size_t at = 0;
        while (buffer_.size() - at >= 2) {
            const auto b1 = static_cast<uint8_t>(buffer_[at + 1]);
            size_t length = b1 & 0x7f, header = 2;
            if (length == 126) {
                if (buffer_.size() - at < 4) break;
                length = static_cast<uint8_t>(buffer_[at + 2]) << 8 | static_cast<uint8_t>(buffer_[at + 3]);
                header = 4;
            }
            if (buffer_.size() - at < header + length) break;
            std::stringstream lines(buffer_.substr(at + header, length));
            for (std::string line; std::getline(lines, line);)
                out.push_back(Json::parse(line, nullptr, false));
            at += header + length;
        }
        return out;
    }

private:
    std::string readUntil(const std::string& marker, std::chrono::milliseconds wait) {
        const auto until = std::chrono::steady_clock::now() + wait;
        while (buffer_.find(marker) == std::string::npos && std::chrono::steady_clock::now() < until) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            char chunk[4096];
            const ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n <= 0) break;
            buffer_.append(chunk, static_cast<size_t>(n));
        }
        return buffer_;
    }
    int fd_ = -1;
    bool upgraded_ = false;
    std::string buffer_;
};

/// 100 ms windows of `audio` in which the alert tone (853 + 960 Hz) dominates.
int alertWindows(const std::vector<float>& audio) {
    int n = 0;
    for (size_t at = 0; at + 4800 <= audio.size(); at += 4800) {
        const double total = energy(audio, at, 4800);
        if (total > 0 && powerAt(audio, at, 4800, 853) + powerAt(audio, at, 4800, 960) > 0.6 * total * 4800 / 2) ++n;
    }
    return n;
}
}  // namespace

TEST(Emergency, AnActualAlertNeedsTwoOperatorsReachesItsAreaOnlyAndIsAudited) {
    Gw gw;
    std::vector<std::unique_ptr<Process>> stations;
    for (int i = 0; i < 3; ++i)
        stations.push_back(gw.station(i, 9));
    auto gateway = gw.start();

    EventStream events(gw.api, kVera);
    EXPECT_TRUE(events.upgraded()) << "a viewer may follow the event stream";
    EXPECT_FALSE(EventStream(gw.api, "").upgraded()) << "without a token, no stream";
    EXPECT_EQ(gw.call("GET", "/api/status", "").first, 401) << "no token";
    EXPECT_EQ(gw.call("GET", "/api/status", "loa_forged").first, 401);
    const std::string alert = R"({"status":"actual","targets":{"areas":["01/001"]},"message":"flood"})";
    EXPECT_EQ(gw.call("POST", "/api/emergencies", kVera, alert).first, 403) << "a viewer only reads";
    std::this_thread::sleep_for(1s);

    const auto [status, pending] = gw.call("POST", "/api/emergencies", kAlice, alert);
    ASSERT_EQ(status, 202) << pending.dump();
    EXPECT_EQ(pending["state"], "pending");
    const std::string id = pending["id"];
    EXPECT_EQ(gw.call("POST", "/api/emergencies/" + id + "/confirm", kAlice).first, 403) << "not one's own";
    const auto [confirmed, active] = gw.call("POST", "/api/emergencies/" + id + "/confirm", kBob);
    ASSERT_EQ(confirmed, 200) << active.dump();
    EXPECT_EQ(active["state"], "active");
    EXPECT_EQ(active["stations"], Json::parse(R"(["hanoi-1","hanoi-2"])"));
    std::this_thread::sleep_for(2500ms);
    const auto [status2, now] = gw.call("GET", "/api/status", kVera);
    EXPECT_EQ(now["emergencies"].size(), 1u) << now.dump();
    const auto listed = gw.call("GET", "/api/stations", kVera).second;
    ASSERT_EQ(listed.size(), 3u) << listed.dump();
    EXPECT_EQ(listed[0]["level"], "emergency") << listed.dump();
    EXPECT_EQ(listed[1]["level"], "emergency");
    EXPECT_EQ(listed[2]["level"], "scheduled") << "hue-1 keeps its programme";
    // loactl, the operators' command line, cancels it.
    Process cancel({LOA_LOACTL_BIN, "--url", "http://127.0.0.1:" + std::to_string(gw.api), "--token", kBob, "emergency",
                    "cancel", id},
                   gw.dir.path() / "loactl.out", gw.dir.path() / "loactl.err");
    EXPECT_EQ(cancel.wait(10s), 0) << cancel.errors();
    EXPECT_EQ(Json::parse(cancel.output())["state"], "cancelled") << cancel.output();
    Process again({LOA_LOACTL_BIN, "--url", "http://127.0.0.1:" + std::to_string(gw.api), "--token", kBob, "emergency",
                   "cancel", id},
                  gw.dir.path() / "loactl2.out", gw.dir.path() / "loactl2.err");
    EXPECT_EQ(again.wait(10s), 1) << "refused: it is already cancelled";
    EXPECT_NE(again.errors().find("already cancelled"), std::string::npos) << again.errors();

    for (auto& s : stations)
        ASSERT_EQ(s->wait(20s), 0) << s->errors();
    const auto audit = gw.call("GET", "/api/audit?limit=50", kVera).second;
    // The event stream told every step as it happened.
    std::vector<std::string> steps;
    for (const auto& e : events.events(500ms)) {
        if (e.value("type", "") == "emergency") steps.push_back(e.value("action", "") + ":" + e.value("outcome", ""));
    }
    EXPECT_EQ(steps, (std::vector<std::string>{"emergency.trigger:pending", "emergency.confirm:ok",
                                               "emergency.start:ok", "emergency.cancel:ok"}));
    EXPECT_EQ(gateway->stop(), 0) << gateway->errors();

    // hanoi-1 and hanoi-2 heard the alert, then their programme again; hue-1 never did.
    for (int i = 0; i < 3; ++i) {
        const auto audio = loa::readWav(gw.dir.path() / ("st" + std::to_string(i) + ".wav")).samples;
        const auto stats = parseStats(stations[static_cast<size_t>(i)]->output());
        SCOPED_TRACE("station " + std::to_string(i) + ": " + stations[static_cast<size_t>(i)]->output());
        if (i < 2) {
            EXPECT_GE(alertWindows(audio), 10) << "the 1.5 s alert tone";
        } else {
            EXPECT_EQ(alertWindows(audio), 0);
        }
        EXPECT_EQ(stats.at("last_priority"), 4) << "back to the programme after the cancel";
        EXPECT_EQ(stats.at("lost"), 0);
        EXPECT_EQ(stats.at("restarts"), 0) << "one continuous stream across the switches";
    }
    // Every attempt is in the audit log, refusals included.
    std::map<std::string, int> seen;
    for (const auto& r : audit)
        ++seen[r["action"].get<std::string>() + ":" + r["outcome"].get<std::string>()];
    // The stream without a token, no token, a forged one: the first is audited, the others (same
    // address, within the minute) are counted and summarised.
    EXPECT_EQ(seen["api.authenticate:refused"], 1);
    EXPECT_EQ(seen["emergency.trigger:refused"], 1) << "the viewer's attempt, refused at the role check";
    EXPECT_EQ(seen["emergency.trigger:pending"], 1);
    EXPECT_EQ(seen["emergency.confirm:refused"], 1);
    EXPECT_EQ(seen["emergency.confirm:ok"], 1);
    EXPECT_EQ(seen["emergency.start:ok"], 1);
    EXPECT_EQ(seen["emergency.cancel:ok"], 1);
    const std::string log = gateway->errors();
    EXPECT_NE(log.find("[ACTUAL]"), std::string::npos) << log;
}

TEST(Emergency, ATestReachesOnlyStationsThatAcceptTestsAndSurvivesAKill9) {
    Gw gw;
    auto gateway = gw.start();
    const auto [status, test] =
        gw.call("POST", "/api/emergencies", kAlice, R"({"status":"test","targets":{"all":true},"tone":true})");
    ASSERT_EQ(status, 201) << test.dump();
    EXPECT_EQ(test["stations"], Json::parse(R"(["hanoi-1"])")) << "only the station that accepts tests";
    const std::string id = test["id"];
    gateway->signal(SIGKILL);
    gateway->wait(5s);

    // The restarted gateway puts it back on air: hanoi-1 hears it, marked emergency.
    auto st = gw.station(0, 3);
    auto other = gw.station(2, 3);
    auto again = gw.start("gw2.log");
    ASSERT_EQ(st->wait(10s), 0) << st->errors();
    ASSERT_EQ(other->wait(10s), 0) << other->errors();
    const auto live = gw.call("GET", "/api/emergencies", kVera).second;
    ASSERT_EQ(live.size(), 1u) << live.dump();
    EXPECT_EQ(live[0]["id"], id);
    EXPECT_EQ(live[0]["state"], "active");
    EXPECT_EQ(parseStats(st->output()).at("last_priority"), 1) << st->output();
    EXPECT_EQ(parseStats(other->output()).at("last_priority"), 4) << other->output();
    EXPECT_NE(again->errors().find("emergency.resume " + id), std::string::npos) << again->errors();
    EXPECT_EQ(again->stop(), 0) << again->errors();
}

TEST(Emergency, AnAnnouncerOnTheLiveFeedSpeaksToTheTargetedStationsOnly) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), api = freeUdpPort(), live = freeUdpPort();
    const uint16_t portA = freeUdpPort(), portB = freeUdpPort();
    const std::vector<uint8_t> studioKey(30, 0x44);
    const auto config =
        ConfigBuilder("gw", loopback(media))
            .programme(ProgrammeConfig("national")
                           // The studio never takes national's own air here.
                           .live(IngestConfig(loopback(live)).key(b64(studioKey)).returnMs(100000))
                           .playlist({segment("a440.flac")}))
            .programme(ProgrammeConfig("province").playlist({segment("a440.flac")}))
            .station(StationConfig("a", "province").area("02/001/1").address(loopback(portA)).key(b64(1)))
            .station(StationConfig("b", "province").area("03/001/1").address(loopback(portB)).key(b64(2)))
            .api(ApiConfig(loopback(api)).twoPersonRule(false).token("alice", "emergency", kAlice))
            .emergency(EmergencyConfig().toneMs(500))
            .write(dir.path() / "gw.yaml");
    loa::StudioOptions o;
    o.destination = *loa::SocketAddress::parse("127.0.0.1:" + std::to_string(live));
    o.key = studioKey;
    o.toneHz = 700;
    loa::StudioSender announcer(o);
    announcer.start();
    auto station = [&](uint16_t port, uint8_t key, const std::string& name) {
        return std::make_unique<Process>(
            std::vector<std::string>{LOA_STATION_BIN, "--listen", "127.0.0.1:" + std::to_string(port), "--key",
                                     b64(key), "--duration", "5", "--wav", (dir.path() / (name + ".wav")).string()},
            dir.path() / (name + ".json"), dir.path() / (name + ".log"));
    };
    auto a = station(portA, 1, "a");
    auto b = station(portB, 2, "b");
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    const loa::HttpTarget target{"http://127.0.0.1:" + std::to_string(api), kAlice, "", false};
    std::this_thread::sleep_for(1500ms);
    const auto r = loa::httpRequest(target, "POST", "/api/emergencies",
                                    R"({"status":"actual","targets":{"areas":["02"]},"live":"national"})");
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_EQ(a->wait(15s), 0) << a->errors();
    ASSERT_EQ(b->wait(15s), 0) << b->errors();
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    announcer.stop();
    auto announcerWindows = [](const std::vector<float>& audio) {
        int n = 0;
        for (size_t at = 0; at + 4800 <= audio.size(); at += 4800) {
            const double total = energy(audio, at, 4800);
            if (total > 0 && powerAt(audio, at, 4800, 700) > 0.6 * total * 4800 / 2) ++n;
        }
        return n;
    };
    EXPECT_GE(announcerWindows(loa::readWav(dir.path() / "a.wav").samples), 15)
        << "the announcer, live, after the tone";
    EXPECT_EQ(announcerWindows(loa::readWav(dir.path() / "b.wav").samples), 0);
    EXPECT_EQ(parseStats(a->output()).at("last_priority"), 1);
    EXPECT_EQ(parseStats(b->output()).at("last_priority"), 4);
}
