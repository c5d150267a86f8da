#include "EmergencyBench.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
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

/// The probe station: the priority of each packet it hears, and when.
class Probe {
public:
    Probe(uint16_t port, const std::vector<uint8_t>& key)
        : probe_(port, key, [this](Clock::time_point now, const std::optional<StreamInfo>& info) {
              if (!info) return;
              {
                  std::lock_guard lock(mutex_);
                  heard_.emplace_back(now, info->priority);
                  if (heard_.size() > 4096) heard_.erase(heard_.begin(), heard_.begin() + 2048);
              }
              changed_.notify_all();
          }) {}
    /// Waits until a packet marked `priority` arrives after `since`; its arrival, or nullopt.
    std::optional<Clock::time_point> waitFor(uint8_t priority, Clock::time_point since, std::chrono::seconds limit) {
        std::unique_lock lock(mutex_);
        std::optional<Clock::time_point> seen;
        changed_.wait_for(lock, limit, [&] {
            for (auto it = heard_.rbegin(); it != heard_.rend() && it->first >= since; ++it) {
                if (it->second == priority) seen = it->first;
            }
            return seen.has_value();
        });
        return seen;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::pair<Clock::time_point, uint8_t>> heard_;
    ProbeStation probe_;  // last: its thread stops before the rest goes
};
}  // namespace

int runEmergencyBench(const EmergencyBenchOptions& o) {
    const auto dir = std::filesystem::temp_directory_path() / ("loa-emergency-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const uint16_t media = freeLoopbackPort(), api = freeLoopbackPort();
    const std::string token = "loa_bench_" + std::to_string(::getpid()) + "_token_0123456789";
    const std::vector<uint8_t> probeKey(30, 0x50);
    std::vector<UdpSocket> others;  // bound so the stream has somewhere to go
    std::ostringstream stations;
    const uint16_t probePort = freeLoopbackPort();
    stations << "  - {id: probe, programme: national, accepts_tests: true, area: 01/001/00001, address: 127.0.0.1:"
             << probePort << ", key: " << base64Encode(probeKey) << "}\n";
    for (int i = 1; i < o.stations; ++i) {
        others.emplace_back(*SocketAddress::parse("127.0.0.1:0"));
        stations << "  - {id: st-" << i << ", programme: national, area: 01/002/" << i
                 << ", address: " << others.back().localAddress().toString() << "}\n";
    }
    const std::string segments = std::string(LOA_SOURCE_DIR) + "/config/segments/";
    std::ofstream(dir / "gateway.yaml") << "gateway:\n  id: bench\n  state_dir: state\n  media:\n    listen: 127.0.0.1:"
                                        << media << "\nprogrammes:\n  - id: national\n    playlist:\n      files: ["
                                        << segments << "a440.flac]\n"
                                        << "stations:\n"
                                        << stations.str() << "api:\n  listen: 127.0.0.1:" << api
                                        << "\n  two_person_rule: false\n  tokens:\n"
                                        << "    - {name: bench, role: emergency, sha256: "
                                        << hexEncode(tokenHash(token)) << "}\n"
                                        << "emergency:\n  tone_ms: 1000\n";
    Probe probe(probePort, probeKey);
    const pid_t gateway =
        spawn({o.gateway, "--config", (dir / "gateway.yaml").string()}, (dir / "gateway.log").string());
    HttpTarget target{"http://127.0.0.1:" + std::to_string(api), token, "", false};
    if (!waitForApi(target)) std::fprintf(stderr, "emergency: the gateway's API does not answer\n");
    std::vector<double> trigger, cancel, call;
    int missed = 0;
    const std::string request = R"({"status":"test","targets":{"stations":["probe"]},"note":"loa-bench"})";
    for (int k = 0; k < o.triggers; ++k) {
        const auto sent = Clock::now();
        const auto created = httpRequest(target, "POST", "/api/emergencies", request);
        const auto accepted = Clock::now();
        if (created.status != 201) {
            std::fprintf(stderr, "emergency: trigger refused (%d): %s\n", created.status, created.body.c_str());
            ++missed;
            continue;
        }
        call.push_back(std::chrono::duration<double, std::milli>(accepted - sent).count());
        const auto on = probe.waitFor(1, accepted, std::chrono::seconds(2));
        if (on)
            trigger.push_back(std::chrono::duration<double, std::milli>(*on - accepted).count());
        else
            ++missed;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const std::string id = nlohmann::json::parse(created.body)["id"];
        httpRequest(target, "POST", "/api/emergencies/" + id + "/cancel");
        const auto cancelled = Clock::now();
        const auto off = probe.waitFor(4, cancelled, std::chrono::seconds(2));
        if (off) cancel.push_back(std::chrono::duration<double, std::milli>(*off - cancelled).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
    stopGateway(gateway, dir, std::chrono::seconds(10));

    char line[512];
    std::snprintf(line, sizeof line,
                  "| stations | triggers | missed | API call p50 | trigger → first emergency packet p50 | p99 | max | "
                  "cancel → first programme packet p50 | p99 |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                  "| %d | %d | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n",
                  o.stations, o.triggers, missed, quantile(call, 0.5), quantile(trigger, 0.5), quantile(trigger, 0.99),
                  quantile(trigger, 1.0), quantile(cancel, 0.5), quantile(cancel, 0.99));
    std::fputs(line, stdout);
    const nlohmann::json json = {{"stations", o.stations},
                                 {"triggers", o.triggers},
                                 {"missed", missed},
                                 {"api_call_p50_ms", quantile(call, 0.5)},
                                 {"trigger_p50_ms", quantile(trigger, 0.5)},
                                 {"trigger_p99_ms", quantile(trigger, 0.99)},
                                 {"trigger_max_ms", quantile(trigger, 1.0)},
                                 {"cancel_p50_ms", quantile(cancel, 0.5)},
                                 {"cancel_p99_ms", quantile(cancel, 0.99)}};
    if (!o.outDir.empty()) {
        std::filesystem::create_directories(o.outDir);
        std::ofstream(std::filesystem::path(o.outDir) / "emergency.json") << json.dump(2) << "\n";
        std::ofstream(std::filesystem::path(o.outDir) / "emergency.md") << line;
    }
    return missed == 0 ? 0 : 1;
}

}  // namespace loa::bench
