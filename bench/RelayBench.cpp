#include "RelayBench.hpp"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "Child.hpp"
#include "ProbeStation.hpp"
#include "Measure.hpp"
#include "api/ApiHandler.hpp"
#include "api/HttpClient.hpp"
#include "common/Base64.hpp"
#include "net/UdpSocket.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"

namespace loa::bench {
namespace {
using Clock = std::chrono::steady_clock;

/// A station of the province that decrypts every packet: when the alert reaches it, and whether
/// it stays on it (every packet at the emergency level, with the alert) until it ends.
class AlertProbe {
public:
    AlertProbe(uint16_t port, const std::vector<uint8_t>& key)
        : probe_(port, key, [this](Clock::time_point now, const std::optional<StreamInfo>& info) { heard(now, info); }) {}
    /// From now on: the first packet with the alert is its reach; after it, any packet without
    /// one (before end()) is a drop.
    void expect() {
        std::lock_guard lock(mutex_);
        first_.reset();
        dropped_ = 0;
        gaps_ = 0;
        watching_ = true;
    }
    struct Result {
        std::optional<Clock::time_point> first;
        uint64_t dropped = 0;  ///< packets without the alert while it was on air
        uint64_t gaps = 0;     ///< silences over 100 ms between its packets
    };
    Result end() {
        std::lock_guard lock(mutex_);
        watching_ = false;
        return {first_, dropped_, gaps_};
    }

private:
    void heard(Clock::time_point now, const std::optional<StreamInfo>& info) {
        std::lock_guard lock(mutex_);
        if (!watching_) return;
        const bool alert = info && info->alert;
        if (alert && !first_) {
            first_ = now;
        } else if (first_ && !alert) {
            ++dropped_;
        } else if (first_ && now - last_ > std::chrono::milliseconds(100)) {
            ++gaps_;
        }
        last_ = now;
    }

    std::mutex mutex_;
    bool watching_ = false;
    std::optional<Clock::time_point> first_;
    Clock::time_point last_{};
    uint64_t dropped_ = 0, gaps_ = 0;
    ProbeStation probe_;  // last: its thread stops before the rest goes
};

double metric(const HttpTarget& target, const std::string& series) {
    try {
        std::istringstream in(httpRequest(target, "GET", "/metrics").body);
        for (std::string line; std::getline(in, line);) {
            if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
        }
    } catch (const std::exception&) {
    }
    return -1;
}
}  // namespace

int runRelayBench(const RelayBenchOptions& o) {
    // Thousands of bound sockets for the province's stations.
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    const auto dir = std::filesystem::temp_directory_path() / ("loa-relay-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    // The stations' sockets first, so that the ports picked for the gateways are not among them.
    std::vector<UdpSocket> others;
    for (int i = 1; i < o.stations; ++i)
        others.emplace_back(*SocketAddress::parse("127.0.0.1:0"));
    const uint16_t centreMedia = freeLoopbackPort(), centreApi = freeLoopbackPort(), provinceMedia = freeLoopbackPort(),
                   provinceApi = freeLoopbackPort(), upstream = freeLoopbackPort(), probePort = freeLoopbackPort();
    const std::string token = "loa_bench_relay_" + std::to_string(::getpid()) + "_0123456789";
    const std::string segments = std::string(LOA_SOURCE_DIR) + "/config/segments/";
    const auto api = [&](uint16_t port) {
        return "api:\n  listen: 127.0.0.1:" + std::to_string(port) +
               "\n  two_person_rule: false\n  tokens:\n    - {name: bench, role: emergency, sha256: " +
               hexEncode(tokenHash(token)) + "}\n";
    };
    const std::string relayKey = base64Encode(std::vector<uint8_t>(30, 0x48));
    const std::string realtime =
        "  fanout:\n    realtime_priority: " + std::to_string(o.realtimePriority) + "\n";
    std::ofstream(dir / "centre.yaml") << "gateway:\n  id: central\n  state_dir: state-centre\n" << realtime
                                       << "  media:\n    listen: 127.0.0.1:"
                                       << centreMedia << "\nprogrammes:\n  - id: national\n    playlist:\n      files: ["
                                       << segments << "a440.flac]\nstations:\n"
                                       << "  - {id: province, programme: national, area: '48', address: 127.0.0.1:"
                                       << upstream << ", key: " << relayKey << "}\n"
                                       << api(centreApi) << "emergency:\n  tone_ms: 1000\n";
    const std::vector<uint8_t> probeKey(30, 0x50);
    std::ostringstream stations;
    stations << "  - {id: probe, programme: province, address: 127.0.0.1:" << probePort
             << ", key: " << base64Encode(probeKey) << "}\n";
    for (size_t i = 0; i < others.size(); ++i) {
        stations << "  - {id: c-" << i + 1 << ", programme: province, address: " << others[i].localAddress().toString()
                 << "}\n";
    }
    std::ofstream(dir / "province.yaml") << "gateway:\n  id: province-48\n  state_dir: state-province\n" << realtime
                                         << "  media:\n    listen: 127.0.0.1:"
                                         << provinceMedia << "\nprogrammes:\n  - id: province\n    playlist:\n      "
                                                             "files: ["
                                         << segments << "a880.opus]\n    upstream:\n      listen: 127.0.0.1:" << upstream
                                         << "\n      key: " << relayKey
                                         << "\n      parent: central\n      silence_s: 0\nstations:\n"
                                         << stations.str() << api(provinceApi);
    AlertProbe probe(probePort, probeKey);
    const pid_t centre = spawn({o.gateway, "--config", (dir / "centre.yaml").string()}, (dir / "centre.log").string());
    const pid_t province =
        spawn({o.gateway, "--config", (dir / "province.yaml").string()}, (dir / "province.log").string());
    std::vector<pid_t> hogs;
    if (o.hog) {
        for (int i = 0; i < 2; ++i)
            hogs.push_back(spawn({"/bin/sh", "-c", "while :; do :; done"}, "/dev/null"));
    }
    const HttpTarget centreApiTarget{"http://127.0.0.1:" + std::to_string(centreApi), token, "", false};
    const HttpTarget provinceApiTarget{"http://127.0.0.1:" + std::to_string(provinceApi), token, "", false};
    // A province of thousands of stations takes a while to start (each station's key is derived).
    for (int i = 0; i < 12 && !(waitForApi(centreApiTarget) && waitForApi(provinceApiTarget)); ++i) {
    }
    if (!waitForApi(provinceApiTarget))
        std::fprintf(stderr, "relay: a gateway's API does not answer (logs in %s)\n", dir.c_str());
    std::this_thread::sleep_for(std::chrono::seconds(3));  // the province follows its upstream
    const std::string feed = R"({programme="province",feed="upstream"})";
    const double yieldsBefore = metric(provinceApiTarget, "loa_feed_yields_total" + feed);
    const double restartsBefore = metric(provinceApiTarget, "loa_feed_restarts_total" + feed);
    const double lateBefore = metric(provinceApiTarget, "loa_feed_late_total" + feed);
    std::vector<double> reach;
    int missed = 0;
    uint64_t dropped = 0, gaps = 0;
    for (int k = 0; k < o.triggers; ++k) {
        probe.expect();
        const auto sent = Clock::now();
        const auto created =
            httpRequest(centreApiTarget, "POST", "/api/emergencies", R"({"status":"actual","targets":{"all":true}})");
        if (created.status != 201) {
            std::fprintf(stderr, "relay: trigger refused (%d): %s\n", created.status, created.body.c_str());
            ++missed;
            continue;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(o.holdMs));
        const auto r = probe.end();  // what the station heard while the alert was on air
        const std::string id = nlohmann::json::parse(created.body)["id"];
        httpRequest(centreApiTarget, "POST", "/api/emergencies/" + id + "/cancel");
        if (r.first) {
            reach.push_back(std::chrono::duration<double, std::milli>(*r.first - sent).count());
        } else {
            ++missed;
        }
        dropped += r.dropped;
        gaps += r.gaps;
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
    }
    const double yields = metric(provinceApiTarget, "loa_feed_yields_total" + feed) - yieldsBefore;
    const double restarts = metric(provinceApiTarget, "loa_feed_restarts_total" + feed) - restartsBefore;
    const double late = metric(provinceApiTarget, "loa_feed_late_total" + feed) - lateBefore;
    for (pid_t h : hogs)
        kill(h, SIGKILL);
    for (pid_t h : hogs)
        waitChild(h, std::chrono::seconds(5));
    kill(province, SIGTERM);
    kill(centre, SIGTERM);
    waitChild(province, std::chrono::seconds(10));
    waitChild(centre, std::chrono::seconds(10));
    std::error_code ec;
    if (missed == 0) std::filesystem::remove_all(dir, ec);  // else its logs stay, to read

    char line[768];
    std::snprintf(line, sizeof line,
                  "| province stations | CPU hog | real-time | triggers | missed | API → station p50 | p99 | max | upstream yields | "
                  "upstream restarts | late packets | packets without the alert while on air | gaps > 100 ms |\n"
                  "|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                  "| %d | %s | %d | %d | %d | %.1f ms | %.1f ms | %.1f ms | %.0f | %.0f | %.0f | %llu | %llu |\n",
                  o.stations, o.hog ? "yes" : "no", o.realtimePriority, o.triggers, missed, quantile(reach, 0.5), quantile(reach, 0.99),
                  quantile(reach, 1.0), yields, restarts, late, static_cast<unsigned long long>(dropped),
                  static_cast<unsigned long long>(gaps));
    std::fputs(line, stdout);
    const nlohmann::json json = {{"stations", o.stations},       {"hog", o.hog}, {"realtime_priority", o.realtimePriority},
                                 {"triggers", o.triggers},       {"missed", missed},
                                 {"reach_p50_ms", quantile(reach, 0.5)}, {"reach_p99_ms", quantile(reach, 0.99)},
                                 {"reach_max_ms", quantile(reach, 1.0)}, {"upstream_yields", yields},
                                 {"upstream_restarts", restarts}, {"late_packets", late},
                                 {"packets_without_alert", dropped}, {"gaps_over_100ms", gaps}};
    std::printf("%s\n", json.dump().c_str());
    std::filesystem::create_directories(o.outDir);
    std::ofstream(std::filesystem::path(o.outDir) /
                  ("relay-" + std::to_string(o.stations) + (o.realtimePriority ? "-rt" : "") + ".json")) << json.dump()
                                                                                                         << "\n";
    return 0;
}

}  // namespace loa::bench
