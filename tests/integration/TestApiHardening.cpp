// The control API against someone trying to break it, on loopback: what it refuses, how early,
// and that a refusal changes nothing else.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "ApiClient.hpp"
#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "TestData.hpp"
#include "common/Base64.hpp"

using namespace loa::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

/// Sends raw `request` to 127.0.0.1:`port`; returns what came back within `timeout` (until the
/// server closed the connection, a whole JSON answer was in, or the time was up) and how long
/// the answer took.
std::pair<std::string, std::chrono::milliseconds> rawHttp(uint16_t port, const std::string& request,
                                                          std::chrono::milliseconds timeout) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return {"", 0ms};
    }
    const auto start = std::chrono::steady_clock::now();
    (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string answer;
    const auto until = start + timeout;
    while (std::chrono::steady_clock::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;  // closed
        answer.append(buffer, static_cast<size_t>(n));
        if (answer.find("\r\n\r\n") != std::string::npos && answer.size() > 2 &&
            answer.compare(answer.size() - 2, 2, "}\n") == 0)
            break;
    }
    ::close(fd);
    return {answer, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

size_t auditCount(const ApiClient& admin, const std::string& action) {
    const auto log = admin.get("/api/audit?limit=1000");
    return static_cast<size_t>(std::count_if(log.begin(), log.end(), [&](const Json& r) {
        return r.value("action", "") == action;
    }));
}

}  // namespace

TEST(ApiHardening, WhatAStationScheduleOrUploadMayNameIsCheckedAndARefusalChangesNothing) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), live = freeUdpPort(), upstream = freeUdpPort(), apiPort = freeUdpPort(),
                   station = freeUdpPort();
    const auto config =
        ConfigBuilder("gw", "0.0.0.0:" + std::to_string(media))
            .programme(ProgrammeConfig("national")
                           .live(IngestConfig(loopback(live)).allowPlainRtp())
                           .upstream(IngestConfig(loopback(upstream)))
                           .playlist({segment("a440.flac")}))
            .station(StationConfig("st", "national").address(loopback(station)).key(b64(0x31)))
            .api(ApiConfig(loopback(apiPort))
                     .tokens({{"olga", "operator", kOlga}, {"ada", "admin", kAlice}, {"emma", "emergency", kBob}})
                     .twoPersonRule(false))
            .emergency(EmergencyConfig().toneMs(500))
            .write(dir.path() / "gw.yaml");
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    const ApiClient olga{apiPort, kOlga}, admin{apiPort, kAlice}, emma{apiPort, kBob};
    ASSERT_TRUE(admin.waitReady(10s)) << gateway.errors();

    // Station addresses: the gateway's own sockets in any spelling, multicast, broadcast, port 0.
    const std::vector<std::pair<std::string, std::string>> addresses = {
        {"0.0.0.0:" + std::to_string(media), "own media socket"},
        {"127.0.0.1:" + std::to_string(media), "own media socket"},
        {"127.0.0.2:" + std::to_string(media), "own media socket"},
        {"[::1]:" + std::to_string(media), "own media socket"},
        {"[::]:" + std::to_string(media), "own media socket"},
        {"[::ffff:127.0.0.1]:" + std::to_string(media), "own media socket"},
        {"[::ffff:239.1.2.3]:5004", "multicast"},
        {"127.0.0.1:" + std::to_string(live), "live feed socket"},
        {"127.0.0.7:" + std::to_string(upstream), "upstream socket"},
        {"0.0.0.0:" + std::to_string(apiPort), "control API socket"},
        {"239.1.2.3:5004", "multicast"},
        {"[ff0e::1]:5004", "multicast"},
        {"255.255.255.255:5004", "broadcast"},
        {"127.0.0.1:0", "port 0"},
        {"127.0.0.1:" + std::to_string(station), "already used by station 'st'"},
    };
    for (const auto& [address, rule] : addresses) {
        const auto r = olga.call("POST", "/api/stations",
                                 R"({"id":"bad","programme":"national","address":")" + address + R"(","key":")" +
                                     b64(0x41) + "\"}");
        EXPECT_EQ(r.status, 400) << address << ": " << r.body;
        EXPECT_NE(r.body.find(rule), std::string::npos) << address << ": " << r.body;
    }
    for (const std::string id : {"..", ".", ".hidden", "-x", "a/b"}) {
        const auto r = olga.call("POST", "/api/stations",
                                 Json{{"id", id}, {"programme", "national"}, {"address", "127.0.0.1:9"}}.dump());
        EXPECT_EQ(r.status, 400) << id << ": " << r.body;
    }
    EXPECT_EQ(olga.get("/api/stations").size(), 1u) << "a refusal added something";
    const auto good = olga.call("POST", "/api/stations",
                                R"({"id":"st.2","programme":"national","address":"127.0.0.1:9","key":")" + b64(0x42) +
                                    "\"}");
    EXPECT_EQ(good.status, 201) << good.body;

    // Schedule files: only the segments directory (or a media root), decided before the file is
    // looked at, so a missing path and a secret one get the same answer.
    const auto entry = [](const std::string& id, const std::string& file) {
        return Json{{"id", id}, {"programme", "national"}, {"at", "06:00"}, {"files", {file}}}.dump();
    };
    const auto state = dir.path() / "state";
    for (const std::string& file : {std::string("/etc/passwd"), (state / "secret").string(), (state / "loa.db").string(),
                                   std::string("../secret"), std::string("/nonexistent/x.wav"),
                                   (sourceDir() / "config/segments/a440.flac").string()}) {
        const auto r = olga.call("POST", "/api/schedule", entry("news", file));
        EXPECT_EQ(r.status, 400) << file << ": " << r.body;
        EXPECT_NE(r.body.find("must be in the segments directory"), std::string::npos) << file << ": " << r.body;
    }
    EXPECT_EQ(olga.get("/api/schedule").size(), 0u);

    // Uploads: never silently overwritten.
    std::ifstream wav(sourceDir() / "config/segments/tone-1khz.wav", std::ios::binary);
    const std::string audio((std::istreambuf_iterator<char>(wav)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(audio.empty());
    EXPECT_EQ(olga.call("POST", "/api/segments/news.wav", audio).status, 201);
    const auto twice = olga.call("POST", "/api/segments/news.wav", audio);
    EXPECT_EQ(twice.status, 409) << twice.body;
    EXPECT_NE(twice.body.find("replace=1"), std::string::npos) << twice.body;
    const auto replaced = olga.call("POST", "/api/segments/news.wav?replace=1", audio);
    EXPECT_EQ(replaced.status, 201) << replaced.body;
    EXPECT_EQ(Json::parse(replaced.body)["replaced"], true);
    EXPECT_EQ(auditCount(admin, "segment.upload"), 3u) << "audited either way";
    const auto scheduled = olga.call("POST", "/api/schedule", entry("news", "news.wav"));
    EXPECT_EQ(scheduled.status, 201) << scheduled.body << " (a segment by its name)";

    // A CAP alert whose audio is not audio is refused before anything goes on air.
    std::ifstream capFile(sourceDir() / "tests/data/cap/flood-alert.xml");
    std::string cap((std::istreambuf_iterator<char>(capFile)), std::istreambuf_iterator<char>());
    cap = std::regex_replace(cap, std::regex("<uri>"),
                             "<derefUri>" + loa::base64Encode(std::vector<uint8_t>(2000, 'A')) + "</derefUri><uri>");
    cap = std::regex_replace(cap, std::regex("<status>Actual</status>"), "<status>Test</status>");
    const auto notAudio = emma.call("POST", "/api/cap", cap);
    EXPECT_EQ(notAudio.status, 400) << notAudio.body;
    EXPECT_NE(notAudio.body.find("cannot be played"), std::string::npos) << notAudio.body;
    EXPECT_EQ(emma.get("/api/emergencies").size(), 0u);
    std::error_code ec;
    EXPECT_TRUE(std::filesystem::is_empty(state / "cap", ec) || ec) << "its file was left behind";
    EXPECT_EQ(olga.call("POST", "/api/cap", cap).status, 403) << "an operator may not send CAP";
}

TEST(ApiHardening, RefusalsAreDecidedOnTheHeadersCountedNotAuditedOneByOneAndNeverLockOutAValidToken) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort(), station = freeUdpPort();
    const auto config = basicConfig(media, {"a440.flac"}, {{"st", station}})
                            .api(ApiConfig(loopback(apiPort))
                                     .tokens({{"ada", "admin", kAlice}, {"vera", "viewer", kVera}})
                                     .twoPersonRule(false))
                            .write(dir.path() / "gateway.yaml");
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    const ApiClient admin{apiPort, kAlice}, vera{apiPort, kVera};
    ASSERT_TRUE(admin.waitReady(10s)) << gateway.errors();

    // A 32 MB body announced without a token (or by a viewer) is refused at once, its body
    // never kept: the client, still sending, reads the refusal.
    for (const std::string& auth : {std::string(), "Authorization: Bearer " + kVera + "\r\n"}) {
        const auto [answer, took] = rawHttp(apiPort,
                                            "POST /api/stations HTTP/1.1\r\nHost: x\r\n" + auth +
                                                "Content-Type: application/json\r\nContent-Length: 33554432\r\n\r\n{" +
                                                std::string(200000, ' '),
                                            3s);
        EXPECT_TRUE(answer.rfind(auth.empty() ? "HTTP/1.1 401" : "HTTP/1.1 403", 0) == 0) << answer;
        EXPECT_LT(took, 2s) << "the connection stayed open for a body it will never read";
    }
    // Every answer says the console may connect to its own origin only.
    const auto [page, took] = rawHttp(apiPort, "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2s);
    const std::string headers = page.substr(0, page.find("\r\n\r\n"));
    EXPECT_NE(headers.find("connect-src 'self';"), std::string::npos) << headers;
    EXPECT_EQ(headers.find("ws:"), std::string::npos) << headers;

    // A thousand requests without a token: one audit row for the address, counted in /metrics.
    const ApiClient nobody{apiPort, ""};
    for (int i = 0; i < 1000; ++i)
        ASSERT_EQ(nobody.call("GET", "/api/stations").status, 401);
    EXPECT_EQ(auditCount(admin, "api.authenticate"), 1u);
    EXPECT_EQ(admin.metric(R"(loa_api_refused_total{reason="no token"})"), 1002)
        << "and the unread body's, and the raw GET's";
    // Five wrong guesses from this address: more guesses wait, a valid token does not.
    const ApiClient guess{apiPort, "loa_wrong_guess_0123456789"};
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(guess.call("GET", "/api/status").status, 401);
    EXPECT_EQ(guess.call("GET", "/api/status").status, 429);
    EXPECT_EQ(vera.call("GET", "/api/status").status, 200);
    EXPECT_EQ(admin.call("POST", "/api/stations/st/rekey").status, 200);
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
}
