#include "FloorsBench.hpp"

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "control/StationRegistry.hpp"
#include "ingest/RtpIngest.hpp"
#include "state/ReplayFloors.hpp"

namespace loa::bench {
namespace {
double processCpuSeconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
double threadCpuSeconds() {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}
}  // namespace

int runFloorsBench(const FloorsBenchOptions& o) {
    using Clock = std::chrono::steady_clock;
    using Verdict = ReplayFloors::Stream::Verdict;
    std::filesystem::create_directories(o.dir);
    const auto file = o.dir / "floors-bench.db";
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(file.string() + suffix);
    ReplayFloors floors(file);
    std::vector<ReplayFloors::Stream*> stations, feeds;
    for (int i = 0; i < o.stations; ++i)
        stations.push_back(&floors.stream("station:st-" + std::to_string(i) + ":0123456789abcdef",
                                          StationRegistry::kFloorMargin));
    for (int i = 0; i < o.feeds; ++i)
        feeds.push_back(&floors.stream("ingest:p" + std::to_string(i) + "/live:0123456789abcdef:1234",
                                       RtpIngest::kFloorMargin));
    // Each station's first report and each feed's first packet: what a new stream asks for.
    for (auto* s : stations)
        s->admit(1);
    for (auto* f : feeds)
        f->admit(1);
    floors.start();

    // The receiving side, as the gateway's: every 10 ms, the stations whose report is due (each
    // every 2 s) and half a frame of each feed (50 packets/s).
    std::vector<uint64_t> stationIndex(stations.size(), 1), feedIndex(feeds.size(), 1);
    uint64_t accepted = 0, ahead = 0;
    const auto startWall = Clock::now();
    const double startCpu = processCpuSeconds(), driverStart = threadCpuSeconds();
    const auto flushesBefore = floors.counters().flushes.load(), rowsBefore = floors.counters().rows.load();
    const auto usBefore = floors.counters().totalFlushUs.load();
    const auto take = [&](ReplayFloors::Stream& s, uint64_t& index) {
        if (s.admit(index) == Verdict::ok) {
            s.accepted(index);
            ++accepted;
        } else {
            ++ahead;  // the gateway would have held it until its floor is saved
        }
        ++index;
    };
    auto next = startWall;
    size_t cursor = 0;
    const size_t perTick = std::max<size_t>(1, stations.size() / 200);  // all of them every 2 s
    for (int tick = 0; Clock::now() - startWall < std::chrono::duration<double>(o.seconds); ++tick) {
        next += std::chrono::milliseconds(10);
        std::this_thread::sleep_until(next);
        for (size_t k = 0; k < perTick && !stations.empty(); ++k, cursor = (cursor + 1) % stations.size())
            take(*stations[cursor], stationIndex[cursor]);
        if (tick % 2 == 0) {
            for (size_t f = 0; f < feeds.size(); ++f)
                take(*feeds[f], feedIndex[f]);
        }
    }
    const double wall = std::chrono::duration<double>(Clock::now() - startWall).count();
    const double driver = threadCpuSeconds() - driverStart;
    const double cpu = processCpuSeconds() - startCpu - driver;
    floors.stop();
    const auto& c = floors.counters();
    const double flushes = static_cast<double>(c.flushes.load() - flushesBefore);
    const double rows = static_cast<double>(c.rows.load() - rowsBefore);
    const double flushMs = static_cast<double>(c.totalFlushUs.load() - usBefore) / 1000.0;

    char json[1024];
    std::snprintf(json, sizeof json,
                  "{\"stations\":%d,\"feeds\":%d,\"seconds\":%.1f,\"accepted_per_s\":%.0f,\"held_for_a_save\":%llu,"
                  "\"flushes_per_s\":%.2f,\"rows_per_s\":%.0f,\"mean_flush_ms\":%.2f,\"max_flush_ms\":%.2f,"
                  "\"flusher_cpu_percent\":%.2f,\"flusher_busy_percent\":%.2f,\"bytes_on_disk\":%llu}",
                  o.stations, o.feeds, wall, static_cast<double>(accepted) / wall,
                  static_cast<unsigned long long>(ahead), flushes / wall, rows / wall,
                  flushes > 0 ? flushMs / flushes : 0.0, static_cast<double>(c.maxFlushUs.load()) / 1000.0,
                  cpu / wall * 100, flushMs / 1000.0 / wall * 100,
                  static_cast<unsigned long long>(std::filesystem::file_size(file)));
    std::printf("replay floors: %d stations reporting every 2 s, %d feeds at 50 packets/s, %.0f s, floors.db in %s\n",
                o.stations, o.feeds, wall, o.dir.c_str());
    std::printf("  acted on %.0f/s (%llu held for a save), %.2f flushes/s of %.0f ceilings/s\n",
                static_cast<double>(accepted) / wall, static_cast<unsigned long long>(ahead), flushes / wall,
                rows / wall);
    std::printf("  flush: mean %.2f ms, max %.2f ms; the flusher's CPU: %.2f%% of one core (busy %.2f%% of the time)\n",
                flushes > 0 ? flushMs / flushes : 0.0, static_cast<double>(c.maxFlushUs.load()) / 1000.0,
                cpu / wall * 100, flushMs / 1000.0 / wall * 100);
    std::printf("%s\n", json);
    std::filesystem::create_directories(o.outDir);
    std::ofstream(o.outDir / "floors.json") << json << "\n";
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(file.string() + suffix);
    return 0;
}

}  // namespace loa::bench
