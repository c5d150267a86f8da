#include "SoakBench.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "Child.hpp"
#include "Measure.hpp"
#include "StationFarm.hpp"
#include "api/ApiHandler.hpp"
#include "api/HttpClient.hpp"
#include "common/Base64.hpp"

namespace loa::bench {
namespace {

using Clock = std::chrono::steady_clock;

/// Resident memory (KiB) and CPU time (s, user + system) of a process, from /proc.
struct Usage {
    long rssKiB = 0;
    double cpuSeconds = 0;
};
Usage usageOf(pid_t pid) {
    Usage u;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) u.rssKiB = std::stol(line.substr(6));
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    u.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    return u;
}

/// Least-squares slope of y over x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
    const double n = static_cast<double>(x.size());
    if (n < 2) return 0;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        sxy += x[i] * y[i];
    }
    const double d = n * sxx - sx * sx;
    return d == 0 ? 0 : (n * sxy - sx * sy) / d;
}

std::string utcClock(std::time_t t, const char* format) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[32];
    std::strftime(out, sizeof out, format, &tm);
    return out;
}

}  // namespace

int runSoakBench(const SoakBenchOptions& o) {
    const auto dir = std::filesystem::temp_directory_path() / ("loa-soak-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const uint16_t media = freeLoopbackPort(), api = freeLoopbackPort(), stationPort = freeLoopbackPort();
    const std::string token = "loa_soak_" + std::to_string(::getpid()) + "_token_0123456789";
    const std::string segments = std::string(LOA_SOURCE_DIR) + "/config/segments/";

    // The stations: one receiving process (this one) on 127.6.x.y, checking every sequence number.
    std::vector<StationFarm::Station> farmStations;
    std::ostringstream config;
    config << "gateway:\n  id: soak\n  state_dir: state\n  timezone: UTC\n  media:\n    listen: 127.0.0.1:" << media
           << "\nprogrammes:\n  - id: national\n    playlist:\n      files: [" << segments << "a440.flac, " << segments
           << "e660.mp3]\nstations:\n";
    for (int i = 0; i < o.stations; ++i) {
        const std::string address =
            "127.6." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + ":" + std::to_string(stationPort);
        farmStations.push_back({*SocketAddress::parse(address), {}, SrtpProfile::aesCm128HmacSha1_80});
        config << "  - {id: st-" << i << ", programme: national, area: '01/" << i % 10 << "/" << i
               << "', address: '" << address << "'}\n";
    }
    config << "api:\n  listen: 127.0.0.1:" << api << "\n  two_person_rule: false\n  tokens:\n"
           << "    - {name: soak, role: admin, sha256: " << hexEncode(tokenHash(token)) << "}\n"
           << "emergency:\n  tone_ms: 3000\n";
    std::ofstream(dir / "gateway.yaml") << config.str();
    StationFarm farm(stationPort, farmStations, 1);

    const pid_t gateway =
        spawn({o.gateway, "--config", (dir / "gateway.yaml").string()}, (dir / "gateway.log").string());
    const HttpTarget target{"http://127.0.0.1:" + std::to_string(api), token, "", false};
    if (!waitForApi(target)) {
        kill(gateway, SIGKILL);
        waitChild(gateway, std::chrono::seconds(5));
        throw Error("soak: the gateway did not start; see " + (dir / "gateway.log").string());
    }

    // Operators at work: a bulletin every few minutes (added, played, removed) and an emergency.
    std::atomic<bool> running{true};
    std::atomic<int> bulletins{0}, emergencies{0}, refused{0};
    std::thread operators([&] {
        auto nextBulletin = Clock::now() + std::chrono::seconds(30);
        auto nextEmergency = Clock::now() + std::chrono::seconds(60);
        std::string toRemove, toCancel;
        Clock::time_point removeAt{}, cancelAt{};
        auto call = [&](const std::string& method, const std::string& path, const std::string& body = {}) {
            try {
                const auto r = httpRequest(target, method, path, body);
                if (r.status >= 300) ++refused;
                return r;
            } catch (const std::exception&) {
                ++refused;
                return HttpResult{};
            }
        };
        while (running) {
            const auto now = Clock::now();
            if (now >= nextBulletin) {
                const std::time_t at = std::time(nullptr) + 5;
                const std::string id = "bulletin-" + std::to_string(bulletins++);
                call("POST", "/api/schedule",
                     nlohmann::json{{"id", id},
                                    {"programme", "national"},
                                    {"at", utcClock(at, "%H:%M:%S")},
                                    {"date", utcClock(at, "%Y-%m-%d")},
                                    {"priority", "bulletin"},
                                    {"files", {segments + "tone-1khz.wav"}}}
                         .dump());
                toRemove = id;
                removeAt = now + std::chrono::seconds(15);
                nextBulletin += std::chrono::seconds(o.scheduleEveryS);
            }
            if (!toRemove.empty() && now >= removeAt) {
                call("POST", "/api/schedule/" + toRemove + "/remove");
                toRemove.clear();
            }
            if (now >= nextEmergency) {
                const auto r = call("POST", "/api/emergencies", R"({"status":"actual","targets":{"all":true}})");
                if (r.status == 201) {
                    toCancel = nlohmann::json::parse(r.body, nullptr, false).value("id", "");
                    cancelAt = now + std::chrono::seconds(20);
                    ++emergencies;
                }
                nextEmergency += std::chrono::seconds(o.emergencyEveryS);
            }
            if (!toCancel.empty() && now >= cancelAt) {
                call("POST", "/api/emergencies/" + toCancel + "/cancel");
                toCancel.clear();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    });

    std::printf("| minute | RSS MiB | CPU %% of a core | packets received | missing |\n|---:|---:|---:|---:|---:|\n");
    std::vector<double> minutes, rss;
    std::vector<nlohmann::json> rows;
    Usage last = usageOf(gateway);
    const auto start = Clock::now();
    double cpuAfterWarmup = 0, secondsAfterWarmup = 0;
    for (int m = 1; m <= o.minutes; ++m) {
        farm.run(start + std::chrono::minutes(m));  // receives for the rest of this minute
        const Usage u = usageOf(gateway);
        uint64_t received = 0, missing = 0;
        for (const auto& c : farm.counters()) {
            received += c.received;
            missing += c.missing;
        }
        const double cpu = (u.cpuSeconds - last.cpuSeconds) / 60.0 * 100.0;
        std::printf("| %d | %.1f | %.1f | %llu | %llu |\n", m, static_cast<double>(u.rssKiB) / 1024.0, cpu,
                    static_cast<unsigned long long>(received), static_cast<unsigned long long>(missing));
        std::fflush(stdout);
        rows.push_back({{"minute", m},
                        {"rss_kib", u.rssKiB},
                        {"cpu_percent", cpu},
                        {"received", received},
                        {"missing", missing}});
        if (m > o.warmupMinutes) {
            minutes.push_back(m);
            rss.push_back(static_cast<double>(u.rssKiB));
            cpuAfterWarmup += u.cpuSeconds - last.cpuSeconds;
            secondsAfterWarmup += 60;
        }
        last = u;
    }
    running = false;
    operators.join();
    kill(gateway, SIGTERM);
    const int exit = waitChild(gateway, std::chrono::seconds(10));

    const double growthKiBPerHour = slope(minutes, rss) * 60.0;
    uint64_t received = 0, missing = 0;
    for (const auto& c : farm.counters()) {
        received += c.received;
        missing += c.missing;
    }
    char summary[768];
    std::snprintf(summary, sizeof summary,
                  "\n%d stations for %d minutes (%d of warm-up left out): RSS growth %.0f KiB/hour (%.2f B/station/hour), "
                  "CPU %.1f%% of a core; %d bulletins, %d emergencies, %d refused calls; %llu packets received, %llu "
                  "missing; gateway exit %d\n",
                  o.stations, o.minutes, o.warmupMinutes, growthKiBPerHour,
                  growthKiBPerHour * 1024.0 / o.stations,
                  secondsAfterWarmup > 0 ? cpuAfterWarmup / secondsAfterWarmup * 100.0 : 0.0, bulletins.load(),
                  emergencies.load(), refused.load(), static_cast<unsigned long long>(received),
                  static_cast<unsigned long long>(missing), exit);
    std::fputs(summary, stdout);
    const nlohmann::json json = {{"stations", o.stations},
                                 {"minutes", o.minutes},
                                 {"warmup_minutes", o.warmupMinutes},
                                 {"rss_growth_kib_per_hour", growthKiBPerHour},
                                 {"bulletins", bulletins.load()},
                                 {"emergencies", emergencies.load()},
                                 {"refused_calls", refused.load()},
                                 {"received", received},
                                 {"missing", missing},
                                 {"per_minute", rows}};
    if (!o.outDir.empty()) {
        std::filesystem::create_directories(o.outDir);
        std::ofstream(std::filesystem::path(o.outDir) / "soak.json") << json.dump(2) << "\n";
        std::ostringstream md;
        md << "| minute | RSS MiB | CPU % of a core | packets received | missing |\n|---:|---:|---:|---:|---:|\n";
        for (const auto& r : rows) {
            char line[160];
            std::snprintf(line, sizeof line, "| %d | %.1f | %.1f | %llu | %llu |\n", r["minute"].get<int>(),
                          r["rss_kib"].get<double>() / 1024.0, r["cpu_percent"].get<double>(),
                          r["received"].get<unsigned long long>(), r["missing"].get<unsigned long long>());
            md << line;
        }
        md << summary;
        std::ofstream(std::filesystem::path(o.outDir) / "soak.md") << md.str();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return exit == 0 && refused == 0 ? 0 : 1;
}

}  // namespace loa::bench
