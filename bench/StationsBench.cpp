#include "StationsBench.hpp"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "Child.hpp"
#include "Measure.hpp"
#include "api/ApiHandler.hpp"
#include "api/HttpClient.hpp"
#include "common/Base64.hpp"

namespace loa::bench {

int runStationsBench(const StationsBenchOptions& o) {
    using Clock = std::chrono::steady_clock;
    const auto dir = std::filesystem::temp_directory_path() / ("loa-bench-stations-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const uint16_t media = freeLoopbackPort(), api = freeLoopbackPort();
    const std::string token = "loa_bench_stations_0123456789abcdef";
    // The stations on loopback addresses of their own (127.1.x.y:5004): nothing listens there,
    // the gateway streams to every one of them all the same.
    std::ostringstream config;
    config << "gateway:\n  id: bench\n  state_dir: state\n  media:\n    listen: 127.0.0.1:" << media
           << "\nprogrammes:\n  - id: national\n    playlist:\n      files: [" << LOA_SOURCE_DIR
           << "/config/segments/a440.flac]\nstations:\n";
    const auto address = [](int i) {
        return "127.1." + std::to_string(i / 250) + "." + std::to_string(1 + i % 250) + ":5004";
    };
    for (int i = 0; i < o.stations; ++i)
        config << "  - {id: st-" << i << ", programme: national, area: 01/" << (i % 63)
               << (o.silent ? std::string() : ", address: " + address(i)) << "}\n";
    config << "api:\n  listen: 127.0.0.1:" << api << "\n  max_body_bytes: 4096\n  tokens:\n"
           << "    - {name: bench, role: operator, sha256: " << hexEncode(tokenHash(token)) << "}\n";
    std::ofstream(dir / "gateway.yaml") << config.str();
    const auto started = Clock::now();
    const pid_t gateway =
        spawn({o.gateway, "--config", (dir / "gateway.yaml").string()}, (dir / "gateway.log").string());
    const HttpTarget target{"http://127.0.0.1:" + std::to_string(api), token, "", false};
    if (!waitForApi(target)) std::fprintf(stderr, "stations: the gateway's API does not answer\n");
    const double startS = std::chrono::duration<double>(Clock::now() - started).count();

    std::vector<double> add, change, remove;
    int refused = 0;
    const auto timed = [&](std::vector<double>& into, const std::string& path, const std::string& body, int want) {
        const auto t0 = Clock::now();
        const auto r = httpRequest(target, "POST", path, body);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (r.status != want) {
            std::fprintf(stderr, "stations: %s answered %d: %s\n", path.c_str(), r.status, r.body.c_str());
            ++refused;
            return;
        }
        into.push_back(ms);
    };
    for (int k = 0; k < o.changes; ++k) {
        const std::string id = "new-" + std::to_string(k);
        const auto definition = [&](int area) {
            return nlohmann::json{{"id", id},
                                  {"programme", "national"},
                                  {"area", "02/" + std::to_string(area)},
                                  {"address", address(o.stations + k)}}
                .dump();
        };
        timed(add, "/api/stations", definition(1), 201);
        timed(change, "/api/stations/" + id, definition(2), 200);
        timed(remove, "/api/stations/" + id + "/remove", "", 200);
    }
    stopGateway(gateway, dir, std::chrono::seconds(20));
    std::error_code ec;

    char line[640];
    std::snprintf(line, sizeof line,
                  "| stations | streamed to | gateway ready | add p50 | add p99 | change p50 | change p99 | remove p50 | "
                  "remove p99 | refused |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                  "| %d | %s | %.1f s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %d |\n",
                  o.stations, o.silent ? "none" : "all", startS, quantile(add, 0.5), quantile(add, 0.99), quantile(change, 0.5),
                  quantile(change, 0.99), quantile(remove, 0.5), quantile(remove, 0.99), refused);
    std::fputs(line, stdout);
    const nlohmann::json json = {{"stations", o.stations},
                                 {"streamed", !o.silent},
                                 {"changes", o.changes},
                                 {"gateway_ready_s", startS},
                                 {"add_ms", {{"p50", quantile(add, 0.5)}, {"p99", quantile(add, 0.99)}}},
                                 {"change_ms", {{"p50", quantile(change, 0.5)}, {"p99", quantile(change, 0.99)}}},
                                 {"remove_ms", {{"p50", quantile(remove, 0.5)}, {"p99", quantile(remove, 0.99)}}},
                                 {"refused", refused}};
    std::filesystem::create_directories(o.outDir, ec);
    std::ofstream(std::filesystem::path(o.outDir) /
                   ("stations-" + std::to_string(o.stations) + (o.silent ? "-silent" : "") + ".json"))
        << json.dump(2) << "\n";
    return refused == 0 ? 0 : 1;
}

}  // namespace loa::bench
