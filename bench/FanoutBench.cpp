#include "FanoutBench.hpp"

#include <fcntl.h>
#include <gst/gst.h>
#include <malloc.h>
#include <poll.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "Child.hpp"
#include "GstRuntime.hpp"
#include "Measure.hpp"
#include "StationFarm.hpp"
#include "common/Base64.hpp"
#include "common/Clock.hpp"
#include "common/Realtime.hpp"
#include "common/Error.hpp"
#include "crypto/Hkdf.hpp"
#include "fanout/FanoutEngine.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"
#include "srtp/StationKeys.hpp"

namespace loa::bench {
namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kFramePeriod = std::chrono::milliseconds(20);
constexpr uint8_t kExtensionId = 1;

std::string stationHost(size_t i) {
    return "127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
}

/// Where the stations listen: from the receiver's ports file (a socket per station on
/// 127.0.0.1), or distinct loopback addresses on one port.
std::vector<SocketAddress> readTargets(const std::filesystem::path& portsFile) {
    std::vector<SocketAddress> out;
    std::ifstream in(portsFile);
    std::string line;
    while (std::getline(in, line)) {
        if (auto a = SocketAddress::parse(line)) out.push_back(*a);
    }
    return out;
}
std::string stationId(size_t i) {
    return "st-" + std::to_string(i);
}

std::map<std::string, std::string> parseArgs(const std::vector<std::string>& args) {
    std::map<std::string, std::string> out;
    for (size_t i = 0; i + 1 < args.size(); i += 2)
        out[args[i]] = args[i + 1];
    return out;
}

bool waitForFile(const std::filesystem::path& p, std::chrono::seconds timeout) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
        if (std::filesystem::exists(p)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double jsonNumber(const std::string& json, const std::string& key) {
    std::smatch m;
    if (std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9.eE+-]+)"))) return std::stod(m[1]);
    return 0;
}

std::vector<uint64_t> jsonArray(const std::string& json, const std::string& key) {
    std::vector<uint64_t> out;
    const auto at = json.find("\"" + key + "\":[");
    if (at == std::string::npos) return out;
    std::istringstream in(json.substr(at + key.size() + 4));
    uint64_t v;
    char sep;
    while (in >> v) {
        out.push_back(v);
        if (!(in >> sep) || sep != ',') break;
    }
    return out;
}

double rate(uint64_t count, double seconds) {
    return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

double ms(std::chrono::nanoseconds d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

/// What one sender run measured.
struct SenderResult {
    double seconds = 0;
    uint64_t frames = 0;
    uint64_t packets = 0;
    uint64_t expectedPerStation = 0;                     ///< packets each station should have received
    double cpuSeconds = 0;                               ///< sender threads, user + system (thread CPU clocks)
    double spreadP50 = 0, spreadP99 = 0, spreadMax = 0;  ///< ms
    uint64_t lateFrames = 0;
    double kibPerStation = 0;
    uint64_t sendErrors = 0;
};

struct FanoutPoint {
    std::string mode;
    size_t stations = 0;
    SenderResult sent;
    uint64_t received = 0, lossTotal = 0, lossMax = 0, missing = 0, authenticated = 0, authFailures = 0;
    double jitterP50 = 0, jitterP99 = 0;
};

std::vector<uint8_t> makeSecret() {
    std::vector<uint8_t> s(32);
    secureRandom(s);
    return s;
}

SrtpProfile profileOf(const std::string& mode) {
    return mode == "loa-gcm" ? SrtpProfile::aeadAes128Gcm : SrtpProfile::aesCm128HmacSha1_80;
}

/// The physical floor: plain RTP packets of the same size to the same destinations, sendmmsg in
/// batches of 64, one thread, no SRTP, no engine.
SenderResult runFloor(const std::vector<SocketAddress>& to, size_t packetBytes, double seconds) {
    const size_t n = to.size();
    UdpSocket socket(*SocketAddress::parse("127.0.0.1:0"));
    socket.setBufferSizes(4 << 20, 1 << 20);
    constexpr size_t kBatch = 64;
    std::vector<std::array<uint8_t, 1500>> buffers(kBatch);
    std::vector<iovec> iov(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    SenderResult r;
    const double cpu0 = clockSeconds(CLOCK_THREAD_CPUTIME_ID);
    const auto start = Clock::now();
    auto deadline = start;
    while (Clock::now() - start < std::chrono::duration<double>(seconds)) {
        sleepUntil(deadline);
        for (size_t i = 0; i < n;) {
            const size_t count = std::min(kBatch, n - i);
            for (size_t k = 0; k < count; ++k) {
                RtpHeader h;
                h.payloadType = 96;
                h.sequence = static_cast<uint16_t>(r.frames);
                h.timestamp = static_cast<uint32_t>(r.frames * 960);
                h.ssrc = static_cast<uint32_t>(i + k);
                writeRtpHeader(h, buffers[k]);
                iov[k] = {buffers[k].data(), packetBytes};
                msgs[k] = {};
                msgs[k].msg_hdr.msg_name = const_cast<sockaddr*>(to[i + k].sockaddrPtr());
                msgs[k].msg_hdr.msg_namelen = to[i + k].length();
                msgs[k].msg_hdr.msg_iov = &iov[k];
                msgs[k].msg_hdr.msg_iovlen = 1;
            }
            const int sent = socket.sendBatch({msgs.data(), count});
            if (sent > 0) r.packets += static_cast<uint64_t>(sent);
            if (sent < static_cast<int>(count)) ++r.sendErrors;
            i += count;
        }
        ++r.frames;
        deadline += kFramePeriod;
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.expectedPerStation = r.frames;
    r.cpuSeconds = clockSeconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    return r;
}

/// Loa's engine, in this process: N stations with their own keys (or one multicast group).
SenderResult runEngine(const std::string& mode, const std::vector<SocketAddress>& to, uint16_t port,
                       const std::vector<uint8_t>& secret, const FanoutBenchOptions& o) {
    const size_t n = to.size();
    const auto dir = std::filesystem::temp_directory_path() / ("loa-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / "rollover");
    IndexReservation reservation(dir / "rollover");
    FanoutOptions options;
    options.workers = o.workers;
    options.extensionId = kExtensionId;
    options.pacing.window = std::chrono::milliseconds(o.pacingMs);
    options.pacing.fillPerSlot = o.fillPerSlot;
    // The -rt modes: the workers under SCHED_FIFO, as gateway.fanout.realtime_priority sets them.
    const bool realtime = mode.ends_with("-rt");
    options.pacing.realtimePriority = realtime ? static_cast<int>(o.realtimePriority) : 0;
    UdpSocket socket(*SocketAddress::parse("127.0.0.1:0"));
    socket.setBufferSizes(4 << 20, 1 << 20);
    const auto loopback = *SocketAddress::parse("127.0.0.1:0");
    UdpSocket groupSocket(loopback);
    groupSocket.setMulticastSending(1, &loopback, true);

    FanoutEngine engine(reservation, options);
    const auto heap0 = heapBytes();  // after the engine's own fixed buffers: per destination only
    const bool multicast = mode == "loa-multicast";
    const size_t destinations = multicast ? 1 : n;
    const auto profile = profileOf(mode);
    for (size_t i = 0; i < destinations; ++i) {
        const auto id = multicast ? std::string("group:bench") : stationId(i);
        const auto key = multicast ? deriveGroupKey(secret, "bench", profile) : deriveStationKey(secret, id, profile);
        const uint32_t ssrc = multicast ? deriveGroupSsrc(secret, "bench") : deriveStationSsrc(secret, id);
        engine.add(makeDestination(
            id, 0, multicast ? *SocketAddress::parse("239.255.77.1:" + std::to_string(port)) : to[i],
            multicast ? groupSocket.fd() : socket.fd(), ssrc, profile, key, mode != "loa-cm80-libsrtp"));
    }
    engine.start();
    engine.destinations();  // every add applied
    SenderResult r;
    // Heap in use, not RSS: RSS would count memory freed by an earlier point and reused here.
    r.kibPerStation = static_cast<double>(heapBytes() - heap0) / 1024.0 / static_cast<double>(destinations);

    auto cpuNow = [&] {
        double total = 0;
        for (unsigned w = 0; w < engine.workerCount(); ++w)
            total += clockSeconds(engine.worker(w).cpuClock());
        return total;
    };
    // The frame source stands for the gateway's media thread: with real-time workers, it is
    // real-time too, at their priority, as the gateway has it.
    int oldPolicy = SCHED_OTHER;
    sched_param oldParam{};
    pthread_getschedparam(pthread_self(), &oldPolicy, &oldParam);
    if (realtime) {
        makeThisThreadRealtime(static_cast<int>(o.realtimePriority));
    }
    const auto cpu0 = cpuNow();
    std::vector<uint8_t> payload(o.payloadBytes, 0x5a);
    const auto start = Clock::now();
    auto deadline = start;
    while (Clock::now() - start < std::chrono::duration<double>(o.seconds)) {
        sleepUntil(deadline);
        auto f = std::make_shared<EncodedFrame>();
        f->payload = payload;
        f->index = r.frames;
        f->timestamp = static_cast<uint32_t>(r.frames * 960);
        f->ready = Clock::now();
        f->due = deadline;
        engine.publish(0, f, 96);
        ++r.frames;
        deadline += kFramePeriod;
    }
    std::this_thread::sleep_for(kFramePeriod);  // the last frame's slots
    pthread_setschedparam(pthread_self(), oldPolicy, &oldParam);
    const auto cpu1 = cpuNow();
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.cpuSeconds = cpu1 - cpu0;
    const auto totals = engine.totals();
    r.packets = totals.packets;
    r.lateFrames = totals.lateFrames;
    r.sendErrors = totals.sendErrors + totals.wouldBlock;
    for (unsigned w = 0; w < engine.workerCount(); ++w) {
        const auto& s = engine.worker(w).stats().spread;
        r.spreadP50 = std::max(r.spreadP50, ms(s.quantile(0.5)));
        r.spreadP99 = std::max(r.spreadP99, ms(s.quantile(0.99)));
        r.spreadMax = std::max(r.spreadMax, ms(s.max()));
    }
    // Every station (or group member) should hear every frame: loss counts what the engine did
    // not send in time as well as what the network dropped.
    r.expectedPerStation = r.frames;
    engine.stop();
    std::filesystem::remove_all(dir);
    return r;
}

/// Stock GStreamer in a child process; its CPU is read from /proc while it streams.
SenderResult runGstreamer(size_t n, const std::filesystem::path& targets, const FanoutBenchOptions& o,
                          const std::filesystem::path& work) {
    const auto json = work / "gst.json";
    std::filesystem::remove(json);
    const pid_t child =
        spawn({o.self, "gst-baseline", "--targets", targets.string(), "--seconds", std::to_string(o.seconds),
               "--payload", std::to_string(o.payloadBytes + 22), "--json", json.string()},
              (work / "gst.log").string());
    SenderResult r;
    const int rc = waitChild(child, std::chrono::seconds(static_cast<long>(o.seconds) + 60));
    const std::string text = slurp(json);
    if (rc != 0 || text.empty()) {
        std::fprintf(stderr, "gstreamer baseline failed (see %s)\n", (work / "gst.log").c_str());
        return r;
    }
    r.seconds = jsonNumber(text, "seconds");
    r.frames = static_cast<uint64_t>(jsonNumber(text, "buffers"));
    r.packets = r.frames * n;
    r.expectedPerStation = static_cast<uint64_t>(jsonNumber(text, "buffers_total"));
    r.cpuSeconds = jsonNumber(text, "cpu_seconds");
    return r;
}

FanoutPoint runFanoutPoint(const std::string& mode, size_t n, const std::vector<uint8_t>& secret, const FanoutBenchOptions& o,
               const std::filesystem::path& work) {
    uint16_t port;
    {
        UdpSocket probe(*SocketAddress::parse("0.0.0.0:0"));
        port = probe.localAddress().port();
    }
    const bool multicast = mode == "loa-multicast";
    const std::string profile = mode == "loa-cm80" || mode == "loa-cm80-rt" ? "cm80"
                                : mode == "loa-gcm"       ? "gcm"
                                : mode == "loa-multicast" ? "cm80"
                                                          : "plain";
    const auto ready = work / "ready", json = work / "receiver.json", targetsFile = work / "targets";
    std::filesystem::remove(ready);
    std::filesystem::remove(json);
    std::filesystem::remove(targetsFile);
    std::vector<std::string> args = {o.self,           "receive",
                                     "--port",         std::to_string(port),
                                     "--stations",     std::to_string(n),
                                     "--layout",       o.layout,
                                     "--targets",      targetsFile.string(),
                                     "--secret",       hexEncode(secret),
                                     "--profile",      profile,
                                     "--verify-every", "50",
                                     "--seconds",      std::to_string(o.seconds + 6),
                                     "--ready",        ready.string(),
                                     "--json",         json.string()};
    if (multicast) {
        args.insert(args.end(),
                    {"--multicast", "239.255.77.1", "--members", std::to_string(std::min(n, o.multicastMembers))});
    }
    const pid_t receiver = spawn(args, (work / "receiver.log").string());
    FanoutPoint p;
    p.mode = mode;
    p.stations = n;
    if (!waitForFile(ready, std::chrono::seconds(60))) {
        std::fprintf(stderr, "receiver did not start (see %s)\n", (work / "receiver.log").c_str());
        kill(receiver, SIGKILL);
        waitpid(receiver, nullptr, 0);
        return p;
    }
    const size_t packetBytes = 12 + 12 + o.payloadBytes + 10;  // Loa's CM80 packet: header, extension, payload, tag
    const auto targets = multicast ? std::vector<SocketAddress>{} : readTargets(targetsFile);
    if (!multicast && targets.size() != n) {
        std::fprintf(stderr, "receiver reported %zu stations, not %zu\n", targets.size(), n);
    }
    if (mode == "floor")
        p.sent = runFloor(targets, packetBytes, o.seconds);
    else if (mode == "gstreamer")
        p.sent = runGstreamer(n, targetsFile, o, work);
    else
        p.sent = runEngine(mode, targets, port, secret, o);
    waitChild(receiver, std::chrono::seconds(120));
    const std::string r = slurp(json);
    const auto received = jsonArray(r, "received");
    p.received = static_cast<uint64_t>(jsonNumber(r, "total_received"));
    p.missing = static_cast<uint64_t>(jsonNumber(r, "missing"));
    p.authenticated = static_cast<uint64_t>(jsonNumber(r, "authenticated"));
    p.authFailures = static_cast<uint64_t>(jsonNumber(r, "auth_failures"));
    p.jitterP50 = jsonNumber(r, "jitter_p50_ms");
    p.jitterP99 = jsonNumber(r, "jitter_p99_ms");
    for (size_t i = 0; i < received.size(); ++i) {
        const uint64_t expected = p.sent.expectedPerStation;
        const uint64_t lost = expected > received[i] ? expected - received[i] : 0;
        p.lossTotal += lost;
        p.lossMax = std::max(p.lossMax, lost);
    }
    return p;
}

std::string pointJson(const FanoutPoint& p) {
    const double perPacket = p.sent.packets ? p.sent.cpuSeconds * 1e6 / static_cast<double>(p.sent.packets) : 0;
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "{\"mode\":\"%s\",\"stations\":%zu,\"seconds\":%.1f,\"frames\":%llu,\"packets_sent\":%llu,"
                  "\"pps_sent\":%.0f,\"packets_received\":%llu,\"pps_received\":%.0f,\"loss_total\":%llu,"
                  "\"loss_max_station\":%llu,\"sequence_gaps\":%llu,\"cpu_us_per_packet\":%.3f,"
                  "\"cpu_us_per_frame\":%.2f,\"jitter_p50_ms\":%.3f,"
                  "\"jitter_p99_ms\":%.3f,\"spread_p50_ms\":%.2f,\"spread_p99_ms\":%.2f,\"spread_max_ms\":%.2f,"
                  "\"late_frames\":%llu,\"kib_per_station\":%.2f,\"srtp_verified\":%llu,\"srtp_failures\":%llu,"
                  "\"send_errors\":%llu}",
                  p.mode.c_str(), p.stations, p.sent.seconds, (unsigned long long)p.sent.frames,
                  (unsigned long long)p.sent.packets, rate(p.sent.packets, p.sent.seconds),
                  (unsigned long long)p.received, rate(p.received, p.sent.seconds), (unsigned long long)p.lossTotal,
                  (unsigned long long)p.lossMax, (unsigned long long)p.missing, perPacket,
                  p.sent.frames ? p.sent.cpuSeconds * 1e6 / static_cast<double>(p.sent.frames) : 0, p.jitterP50,
                  p.jitterP99, p.sent.spreadP50, p.sent.spreadP99, p.sent.spreadMax,
                  (unsigned long long)p.sent.lateFrames, p.sent.kibPerStation, (unsigned long long)p.authenticated,
                  (unsigned long long)p.authFailures, (unsigned long long)p.sent.sendErrors);
    return buf;
}

}  // namespace

int runFanoutBench(const FanoutBenchOptions& o) {
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    initLibSrtp();
    const auto secret = makeSecret();
    const std::filesystem::path out = o.outDir;
    const auto work = out / "tmp";
    std::filesystem::create_directories(work);

    std::vector<FanoutPoint> points;
    std::printf("%-14s %8s %10s %10s %9s %9s %10s %9s %9s %8s %8s\n", "mode", "stations", "pps sent", "pps recv",
                "loss", "loss max", "cpu us/pk", "jit p50", "jit p99", "spr p99", "KiB/st");
    for (size_t n : o.stations) {
        for (const auto& mode : o.modes) {
            const FanoutPoint p = runFanoutPoint(mode, n, secret, o, work);
            points.push_back(p);
            const double per = p.sent.packets ? p.sent.cpuSeconds * 1e6 / static_cast<double>(p.sent.packets) : 0;
            std::printf("%-14s %8zu %10.0f %10.0f %9llu %9llu %10.3f %9.3f %9.3f %8.2f %8.2f\n", mode.c_str(), n,
                        rate(p.sent.packets, p.sent.seconds), rate(p.received, p.sent.seconds),
                        (unsigned long long)p.lossTotal, (unsigned long long)p.lossMax, per, p.jitterP50, p.jitterP99,
                        p.sent.spreadP99, p.sent.kibPerStation);
            std::fflush(stdout);
        }
    }

    // JSON, Markdown and a data file for the plot.
    std::string json = "{\"bench\":\"fanout\",\"seconds_per_point\":" + std::to_string(o.seconds) +
                       ",\"payload_bytes\":" + std::to_string(o.payloadBytes) +
                       ",\"cores\":" + std::to_string(std::thread::hardware_concurrency()) + ",\"points\":[";
    for (size_t i = 0; i < points.size(); ++i) {
        if (i) json += ',';
        json += pointJson(points[i]);
    }
    json += "]}\n";
    std::ofstream(out / "fanout.json") << json;

    std::map<size_t, double> floorCost;
    for (const auto& p : points) {
        if (p.mode == "floor" && p.sent.packets)
            floorCost[p.stations] = p.sent.cpuSeconds * 1e6 / static_cast<double>(p.sent.packets);
    }
    std::ofstream md(out / "fanout.md");
    md << "| mode | stations | packets/s sent | packets/s received | loss (total / worst station) | CPU µs/packet "
          "| × floor | send jitter p50 / p99 ms | spread p50 / p99 / max ms | KiB/station |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    std::ofstream dat(out / "fanout.dat");
    dat << "# mode stations cpu_us_per_packet loss_percent\n";
    for (const auto& p : points) {
        const double per = p.sent.packets ? p.sent.cpuSeconds * 1e6 / static_cast<double>(p.sent.packets) : 0;
        const bool perFrame = p.mode == "loa-multicast";  // one packet per frame: not comparable per packet
        const double ratio =
            !perFrame && floorCost.count(p.stations) && floorCost[p.stations] > 0 ? per / floorCost[p.stations] : 0;
        // Loss as a share of what was owed: every frame to every station (or group member).
        const uint64_t members = p.mode == "loa-multicast" ? std::min(p.stations, o.multicastMembers) : p.stations;
        const double owed = static_cast<double>(p.sent.frames * members);
        const double lossPct = owed > 0 ? 100.0 * static_cast<double>(p.lossTotal) / owed : 0;
        char row[512];
        std::snprintf(
            row, sizeof row, "| %s | %zu | %.0f | %.0f | %llu / %llu | %.3f%s | %s | %.3f / %.3f | %s | %s |\n",
            p.mode.c_str(), p.stations, rate(p.sent.packets, p.sent.seconds), rate(p.received, p.sent.seconds),
            (unsigned long long)p.lossTotal, (unsigned long long)p.lossMax, per, perFrame ? " per frame" : "",
            ratio > 0 ? (std::to_string(ratio).substr(0, 4) + "×").c_str() : "–", p.jitterP50, p.jitterP99,
            p.mode.rfind("loa", 0) == 0 ? (std::to_string(p.sent.spreadP50).substr(0, 4) + " / " +
                                           std::to_string(p.sent.spreadP99).substr(0, 4) + " / " +
                                           std::to_string(p.sent.spreadMax).substr(0, 5))
                                              .c_str()
                                        : "–",
            p.mode.rfind("loa", 0) == 0 && !perFrame ? std::to_string(p.sent.kibPerStation).substr(0, 4).c_str() : "–");
        md << row;
        dat << p.mode << " " << p.stations << " " << per << " " << lossPct << "\n";
    }
    md.close();
    dat.close();
    std::printf("\nresults: %s/fanout.json, fanout.md\n", out.c_str());
    // The plot, where gnuplot is installed (scripts/setup installs it).
    const auto script = std::filesystem::path(LOA_SOURCE_DIR) / "bench" / "plot-fanout.gp";
    const pid_t plot = posix_spawnp_wrapper({"gnuplot", "-e", "dir='" + out.string() + "'", script.string()});
    if (plot > 0 && waitChild(plot, std::chrono::seconds(30)) == 0) {
        std::printf("plot: %s/fanout.png\n", out.c_str());
    } else {
        std::fprintf(stderr, "no plot: gnuplot is missing or failed\n");
    }
    return 0;
}

int runReceiver(const std::vector<std::string>& argv) {
    auto a = parseArgs(argv);
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    initLibSrtp();
    const uint16_t port = static_cast<uint16_t>(std::stoi(a["--port"]));
    const size_t n = std::stoul(a["--stations"]);
    const auto secret = *hexDecode(a["--secret"]);
    const std::string profileName = a["--profile"];
    const size_t every = std::stoul(a["--verify-every"]);
    const double seconds = std::stod(a["--seconds"]);
    const auto profile = profileName == "gcm" ? SrtpProfile::aeadAes128Gcm : SrtpProfile::aesCm128HmacSha1_80;
    std::ostringstream json;

    if (a.count("--multicast")) {
        // Members of one group: each its own socket, counting what it hears.
        const auto group = *SocketAddress::parse(a["--multicast"] + ":" + std::to_string(port));
        const auto loopback = *SocketAddress::parse("127.0.0.1:0");
        const size_t members = std::stoul(a["--members"]);
        std::vector<std::unique_ptr<UdpSocket>> sockets;
        const int ep = epoll_create1(EPOLL_CLOEXEC);
        for (size_t i = 0; i < members; ++i) {
            sockets.push_back(std::make_unique<UdpSocket>(group, true));
            sockets.back()->joinMulticast(group, &loopback);
            sockets.back()->setBufferSizes(1 << 16, 1 << 18);
            epoll_event ev{EPOLLIN, {.u64 = i}};
            epoll_ctl(ep, EPOLL_CTL_ADD, sockets.back()->fd(), &ev);
        }
        SrtpSession srtp(SrtpSession::Direction::inbound, profile, deriveGroupKey(secret, "bench", profile));
        std::vector<uint64_t> received(members, 0);
        std::vector<std::optional<uint16_t>> last(members);
        uint64_t missing = 0, authenticated = 0, failures = 0;
        std::ofstream(a["--ready"]) << "ready\n";
        const auto until = Clock::now() + std::chrono::duration<double>(seconds);
        std::vector<epoll_event> events(256);
        while (Clock::now() < until) {
            const int k = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
            for (int e = 0; e < k; ++e) {
                const size_t i = events[e].data.u64;
                uint8_t buf[2048];
                SocketAddress from;
                ssize_t len;
                while ((len = sockets[i]->receive(buf, from)) > 0) {
                    auto h = RtpPacket::parse({buf, static_cast<size_t>(len)});
                    if (!h) continue;
                    ++received[i];
                    if (last[i]) missing += static_cast<uint16_t>(h->sequence() - *last[i] - 1);
                    last[i] = h->sequence();
                    if (i == 0) {
                        size_t l = static_cast<size_t>(len);
                        const auto r = unprotectRtpFollowingSender(srtp, {buf, sizeof buf}, l, kExtensionId);
                        (r == SrtpResult::ok ? authenticated : failures)++;
                    }
                }
            }
        }
        uint64_t total = 0;
        for (auto r : received)
            total += r;
        json << "{\"total_received\":" << total << ",\"missing\":" << missing << ",\"authenticated\":" << authenticated
             << ",\"auth_failures\":" << failures << ",\"jitter_p50_ms\":0,\"jitter_p99_ms\":0,\"received\":[";
        for (size_t i = 0; i < received.size(); ++i)
            json << (i ? "," : "") << received[i];
        json << "]}\n";
        std::ofstream(a["--json"]) << json.str();
        return 0;
    }

    const bool ownSockets = a["--layout"] != "addresses";
    std::vector<StationFarm::Station> stations;
    for (size_t i = 0; i < n; ++i) {
        const std::string where = ownSockets ? "127.0.0.1:0" : stationHost(i) + ":" + std::to_string(port);
        StationFarm::Station s{*SocketAddress::parse(where), {}, profile};
        if (profileName != "plain" && i % every == 0) s.key = deriveStationKey(secret, stationId(i), profile);
        stations.push_back(std::move(s));
    }
    StationFarm farm = ownSockets ? StationFarm(std::move(stations), kExtensionId)
                                  : StationFarm(port, std::move(stations), kExtensionId);
    {
        std::ofstream targets(a["--targets"]);
        for (const auto& s : farm.stations())
            targets << s.address.toString() << "\n";
    }
    std::ofstream(a["--ready"]) << "ready\n";
    farm.run(Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
    uint64_t total = 0, missing = 0, authenticated = 0, failures = 0;
    for (const auto& c : farm.counters()) {
        total += c.received;
        missing += c.missing;
        authenticated += c.authenticated;
        failures += c.authFailures;
    }
    json << "{\"total_received\":" << total << ",\"missing\":" << missing << ",\"authenticated\":" << authenticated
         << ",\"auth_failures\":" << failures << ",\"strays\":" << farm.strays()
         << ",\"jitter_p50_ms\":" << ms(farm.jitter().quantile(0.5))
         << ",\"jitter_p99_ms\":" << ms(farm.jitter().quantile(0.99))
         << ",\"jitter_max_ms\":" << ms(farm.jitter().max()) << ",\"received\":[";
    for (size_t i = 0; i < farm.counters().size(); ++i)
        json << (i ? "," : "") << farm.counters()[i].received;
    json << "]}\n";
    std::ofstream(a["--json"]) << json.str();
    return 0;
}

int runGstBaseline(const std::vector<std::string>& argv) {
    auto a = parseArgs(argv);
    const auto targets = readTargets(a["--targets"]);
    const double seconds = std::stod(a["--seconds"]);
    const size_t packetBytes = std::stoul(a["--payload"]);  // RTP packet size to match
    // Constant bit rate so every RTP packet has the size of Loa's: payload = packet - 12 header.
    const int bitrate = static_cast<int>((packetBytes - 12) * 8 * 50);
    gst::Pipeline pipeline(
        "audiotestsrc is-live=true samplesperbuffer=960 wave=sine ! audio/x-raw,rate=48000,channels=1 "
        "! opusenc bitrate-type=cbr bitrate=" +
        std::to_string(bitrate) +
        " frame-size=20 "
        "! rtpopuspay pt=96 ! multiudpsink name=sink sync=false async=false");
    GstElement* sink = pipeline.element("sink");
    for (const auto& t : targets)
        g_signal_emit_by_name(sink, "add", t.host().c_str(), static_cast<gint>(t.port()));
    static std::atomic<uint64_t> buffers{0};
    GstPad* pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo*, gpointer) -> GstPadProbeReturn {
            buffers.fetch_add(1);
            return GST_PAD_PROBE_OK;
        },
        nullptr, nullptr);
    gst_object_unref(pad);
    pipeline.play();
    std::this_thread::sleep_for(std::chrono::seconds(1));  // start-up out of the measurement
    rusage r0{};
    getrusage(RUSAGE_SELF, &r0);
    const uint64_t b0 = buffers.load();
    const auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    rusage r1{};
    getrusage(RUSAGE_SELF, &r1);
    const uint64_t b1 = buffers.load();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    const uint64_t total = buffers.load();
    auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
    const double user = sec(r1.ru_utime) - sec(r0.ru_utime);
    const double cpu = user + sec(r1.ru_stime) - sec(r0.ru_stime);
    std::ofstream(a["--json"]) << "{\"seconds\":" << elapsed << ",\"buffers\":" << (b1 - b0)
                               << ",\"cpu_seconds\":" << cpu << ",\"user_seconds\":" << user
                               << ",\"buffers_total\":" << total << "}\n";
    return 0;
}

}  // namespace loa::bench
