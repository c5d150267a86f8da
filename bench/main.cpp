// loa-bench: Loa's benchmarks. They print numbers; targets live in bench/README.md, not in tests.

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "EmergencyBench.hpp"
#include "FanoutBench.hpp"
#include "FloorsBench.hpp"
#include "GstRuntime.hpp"
#include "LatencyBench.hpp"
#include "RelayBench.hpp"
#include "SoakBench.hpp"
#include "SrtpBench.hpp"
#include "StationsBench.hpp"

namespace {
constexpr const char* kUsage = R"(usage:
  loa-bench fanout [--stations 100,1000,2000,5000,10000] [--seconds 30] [--workers 0]
                   [--modes floor,loa-cm80,loa-cm80-rt,loa-cm80-libsrtp,loa-gcm,loa-multicast,gstreamer]
                   [--out bench/results] [--layout ports|addresses] [--pacing-ms 15] [--fill 64] [--realtime 20]
      the fan-out engine against plain sendmmsg and stock GStreamer, on loopback; writes
      fanout.json, fanout.md and fanout.png (with gnuplot) into --out
  loa-bench srtp [--sessions 1,100,1000,10000] [--seconds-per-point 1.5] [--json FILE]
      CPU per srtp_protect (172-byte packets, AES_CM_128_HMAC_SHA1_80) and memory per session,
      for Loa's OpenSSL libsrtp and Debian's NSS libsrtp2 in the same run
  loa-bench latency [--seconds 60] [--modes audio,lowdelay] [--jitter-ms 20] [--gateway PATH] [--out bench/results]
      added latency from a live packet arriving to the first station packet carrying its audio,
      through a real loa-gateway with the bus mixing; writes latency.json and latency.md
  loa-bench emergency [--triggers 100] [--stations 100] [--gateway PATH] [--out bench/results]
      from the API's answer to a trigger to the first emergency packet at a station, and from a
      cancel back to the programme; writes emergency.json and emergency.md
  loa-bench stations [--stations 10000] [--changes 50] [--silent 0|1] [--gateway PATH] [--out bench/results]
      adding, changing and removing a station over the API of a gateway streaming to that many
      (the API call's time, durable write included); writes stations-STATIONS.json
  loa-bench floors [--stations 10000] [--feeds 2] [--seconds 30] [--dir bench/results/tmp] [--out bench/results]
      the cost of durable replay floors: stations reporting every 2 s and feeds at 50 packets/s,
      their ceilings saved as the gateway saves them (floors.db in --dir: the disk measured)
  loa-bench relay [--stations 3000] [--triggers 50] [--hog 1] [--hold-ms 2000] [--realtime 0] [--gateway PATH]
                  [--out bench/results]
      a centre's actual alert through a province with that many stations (and a CPU hog beside
      them): alert reach at a province station, and the province's upstream yields, restarts
      and drops while it relays; writes relay-STATIONS.json
  loa-bench soak [--minutes 10] [--stations 2000] [--warmup-minutes 2] [--schedule-every 120]
                 [--emergency-every 180] [--gateway PATH] [--out bench/results]
      a gateway serving the stations for that long while bulletins are added, played and removed
      and emergencies come and go over the API; its RSS and CPU each minute, the RSS growth per
      hour after warm-up, and every packet checked at the stations; writes soak.json and soak.md
)";

std::vector<size_t> numbers(const std::string& text) {
    std::vector<size_t> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        out.push_back(std::stoul(item));
    return out;
}
std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        out.push_back(item);
    return out;
}
unsigned unsignedOf(const std::string& text) {
    return static_cast<unsigned>(std::stoul(text));
}
/// Hands each "--name value" pair of `args` to its setter; an unknown name is an error.
void parseOptions(const std::vector<std::string>& args,
                  const std::map<std::string, std::function<void(const std::string&)>>& setters) {
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
        const auto setter = setters.find(args[i]);
        if (setter == setters.end()) throw std::invalid_argument("unknown argument " + args[i]);
        setter->second(args[i + 1]);
    }
}
std::string selfPath() {
    char buf[PATH_MAX] = {};
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "loa-bench";
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    const std::string command = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "receive") return loa::bench::runReceiver(args);
        if (command == "gst-baseline") {
            loa::gst::ensureInitialised();
            return loa::bench::runGstBaseline(args);
        }
        if (args.size() % 2 != 0) throw std::invalid_argument(args.back() + " needs a value");
        if (command == "srtp") {
            std::vector<size_t> sessions = {1, 100, 1000, 10000};
            double seconds = 1.5;
            std::string json;
            parseOptions(args, {{"--sessions", [&](const std::string& v) { sessions = numbers(v); }},
                                {"--seconds-per-point", [&](const std::string& v) { seconds = std::stod(v); }},
                                {"--json", [&](const std::string& v) { json = v; }}});
            return loa::bench::runSrtpBench(sessions, seconds, json);
        }
        if (command == "fanout") {
            loa::bench::FanoutBenchOptions o;
            o.self = selfPath();
            parseOptions(args, {{"--stations", [&](const std::string& v) { o.stations = numbers(v); }},
                                {"--seconds", [&](const std::string& v) { o.seconds = std::stod(v); }},
                                {"--workers", [&](const std::string& v) { o.workers = unsignedOf(v); }},
                                {"--modes", [&](const std::string& v) { o.modes = words(v); }},
                                {"--out", [&](const std::string& v) { o.outDir = v; }},
                                {"--layout", [&](const std::string& v) { o.layout = v; }},
                                {"--pacing-ms", [&](const std::string& v) { o.pacingMs = unsignedOf(v); }},
                                {"--fill", [&](const std::string& v) { o.fillPerSlot = unsignedOf(v); }},
                                {"--realtime", [&](const std::string& v) { o.realtimePriority = unsignedOf(v); }}});
            return loa::bench::runFanoutBench(o);
        }
        if (command == "emergency") {
            loa::bench::EmergencyBenchOptions o;
            o.gateway = LOA_GATEWAY_BIN;
            parseOptions(args, {{"--triggers", [&](const std::string& v) { o.triggers = std::stoi(v); }},
                                {"--stations", [&](const std::string& v) { o.stations = std::stoi(v); }},
                                {"--gateway", [&](const std::string& v) { o.gateway = v; }},
                                {"--out", [&](const std::string& v) { o.outDir = v; }}});
            return loa::bench::runEmergencyBench(o);
        }
        if (command == "stations") {
            loa::bench::StationsBenchOptions o;
            o.gateway = LOA_GATEWAY_BIN;
            parseOptions(args, {{"--stations", [&](const std::string& v) { o.stations = std::stoi(v); }},
                                {"--changes", [&](const std::string& v) { o.changes = std::stoi(v); }},
                                {"--silent", [&](const std::string& v) { o.silent = v != "0"; }},
                                {"--gateway", [&](const std::string& v) { o.gateway = v; }},
                                {"--out", [&](const std::string& v) { o.outDir = v; }}});
            return loa::bench::runStationsBench(o);
        }
        if (command == "soak") {
            loa::bench::SoakBenchOptions o;
            o.gateway = LOA_GATEWAY_BIN;
            parseOptions(args, {{"--minutes", [&](const std::string& v) { o.minutes = std::stoi(v); }},
                                {"--stations", [&](const std::string& v) { o.stations = std::stoi(v); }},
                                {"--warmup-minutes", [&](const std::string& v) { o.warmupMinutes = std::stoi(v); }},
                                {"--schedule-every", [&](const std::string& v) { o.scheduleEveryS = std::stoi(v); }},
                                {"--emergency-every", [&](const std::string& v) { o.emergencyEveryS = std::stoi(v); }},
                                {"--gateway", [&](const std::string& v) { o.gateway = v; }},
                                {"--out", [&](const std::string& v) { o.outDir = v; }}});
            return loa::bench::runSoakBench(o);
        }
        if (command == "floors") {
            loa::bench::FloorsBenchOptions o;
            parseOptions(args, {{"--stations", [&](const std::string& v) { o.stations = std::stoi(v); }},
                                {"--feeds", [&](const std::string& v) { o.feeds = std::stoi(v); }},
                                {"--seconds", [&](const std::string& v) { o.seconds = std::stod(v); }},
                                {"--dir", [&](const std::string& v) { o.dir = v; }},
                                {"--out", [&](const std::string& v) { o.outDir = v; }}});
            return loa::bench::runFloorsBench(o);
        }
        if (command == "relay") {
            loa::bench::RelayBenchOptions o;
            o.gateway = LOA_GATEWAY_BIN;
            parseOptions(args, {{"--stations", [&](const std::string& v) { o.stations = std::stoi(v); }},
                                {"--triggers", [&](const std::string& v) { o.triggers = std::stoi(v); }},
                                {"--hog", [&](const std::string& v) { o.hog = v != "0"; }},
                                {"--hold-ms", [&](const std::string& v) { o.holdMs = std::stoi(v); }},
                                {"--realtime", [&](const std::string& v) { o.realtimePriority = std::stoi(v); }},
                                {"--gateway", [&](const std::string& v) { o.gateway = v; }},
                                {"--out", [&](const std::string& v) { o.outDir = v; }}});
            return loa::bench::runRelayBench(o);
        }
        if (command == "latency") {
            loa::bench::LatencyBenchOptions o;
            o.gateway = LOA_GATEWAY_BIN;
            parseOptions(args, {{"--seconds", [&](const std::string& v) { o.seconds = std::stod(v); }},
                                {"--modes", [&](const std::string& v) { o.modes = words(v); }},
                                {"--jitter-ms", [&](const std::string& v) { o.jitterMs = std::stoi(v); }},
                                {"--gateway", [&](const std::string& v) { o.gateway = v; }},
                                {"--out", [&](const std::string& v) { o.outDir = v; }}});
            return loa::bench::runLatencyBench(o);
        }
        throw std::invalid_argument("unknown command " + command);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loa-bench: %s\n%s", e.what(), kUsage);
        return 2;
    }
}
