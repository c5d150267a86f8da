// Stations behind NAT: the gateway learns where a station is from its authenticated SRTCP
// receiver reports, and a forged or replayed report moves nothing.

#include <gtest/gtest.h>

#include <poll.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "Relay.hpp"
#include "TestData.hpp"
#include "api/HttpClient.hpp"
#include "common/Base64.hpp"
#include "net/UdpSocket.hpp"
#include "rtp/Rtcp.hpp"
#include "sdp/StationSdp.hpp"
#include "srtp/SrtpSession.hpp"

using namespace loa::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {
/// A receiver report for `streamSsrc` under `key`, SRTCP-protected by a fresh session (so its
/// SRTCP index is 0).
std::vector<uint8_t> report(uint32_t streamSsrc, const std::vector<uint8_t>& key) {
    loa::SrtpSession srtp(loa::SrtpSession::Direction::outbound, loa::SrtpProfile::aesCm128HmacSha1_80, key,
                          loa::reporterSsrcFor(streamSsrc));
    loa::ReceiverReport r;
    r.reporterSsrc = loa::reporterSsrcFor(streamSsrc);
    std::vector<uint8_t> packet(128);
    size_t length = loa::writeReceiverReport(r, packet);
    EXPECT_EQ(srtp.protectRtcp(packet, length), loa::SrtpResult::ok);
    packet.resize(length);
    return packet;
}

void sendFrom(loa::UdpSocket& socket, const std::vector<uint8_t>& packet, const loa::SocketAddress& to) {
    ASSERT_TRUE(socket.sendTo(packet, to));
}
}  // namespace

TEST(Stations, AStationBehindNatIsLearnedFromItsReportsAndForgedOrReplayedOnesMoveNothing) {
    loa::initLibSrtp();
    TempDir dir;
    const uint16_t media = freeUdpPort(), api = freeUdpPort(), configured = freeUdpPort(), inside = freeUdpPort();
    const std::vector<uint8_t> key(30, 0x6e);
    const std::string token = "loa_viewer_for_the_nat_test_0123";
    const auto config = ConfigBuilder("gw", loopback(media))
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .station(StationConfig("nat-1", "national").address(loopback(configured)).key(b64(key)))
                            .api(ApiConfig(loopback(api)).token("vera", "viewer", token))
                            .write(dir.path() / "gw.yaml");
    std::string sdp = stationKeys(config, "nat-1", true);
    const std::string rtcp = "a=rtcp:" + std::to_string(media) + " IN IP4 127.0.0.1";
    ASSERT_NE(sdp.find(rtcp), std::string::npos) << sdp;
    std::string error;
    const auto stream = loa::parseStationSdp(sdp, error);
    ASSERT_TRUE(stream) << error;

    // The station sits behind a NAT: its reports reach the gateway from the NAT's public port.
    const auto gatewayAddress = *loa::SocketAddress::parse("127.0.0.1:" + std::to_string(media));
    Relay nat(gatewayAddress);  // a NAT that keeps what it forwards
    sdp.replace(sdp.find(rtcp), rtcp.size(), "a=rtcp:" + std::to_string(nat.insidePort()) + " IN IP4 127.0.0.1");
    std::ofstream(dir.path() / "nat-1.sdp") << sdp;
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    std::this_thread::sleep_for(300ms);
    Process station({LOA_STATION_BIN, "--sdp", (dir.path() / "nat-1.sdp").string(), "--state", (dir.path() / "st").string(),
                     "--listen",
                     "127.0.0.1:" + std::to_string(inside), "--duration", "6"},
                    dir.path() / "st.json", dir.path() / "st.log");
    const loa::HttpTarget target{"http://127.0.0.1:" + std::to_string(api), token, "", false};
    auto learned = [&]() -> std::string {
        try {
            const auto stations = Json::parse(loa::httpRequest(target, "GET", "/api/stations").body);
            return stations.at(0).value("learned_address", "");
        } catch (const std::exception&) {
            return "";
        }
    };
    const std::string where = nat.outsideAddress().toString();
    for (int i = 0; i < 40 && learned() != where; ++i)
        std::this_thread::sleep_for(100ms);
    ASSERT_EQ(learned(), where);

    // From an attacker's address: a report under another key, and the station's own first
    // report replayed. Neither moves the station.
    std::this_thread::sleep_for(2500ms);  // the station has reported again since
    loa::UdpSocket attacker(*loa::SocketAddress::parse("127.0.0.1:0"));
    sendFrom(attacker, report(stream->ssrc, std::vector<uint8_t>(30, 0x11)), gatewayAddress);
    ASSERT_FALSE(nat.captured().empty());
    const auto captured = nat.captured().front();
    sendFrom(attacker, captured, gatewayAddress);
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(learned(), where);

    ASSERT_EQ(station.wait(15s), 0) << station.errors();
    const auto stations = Json::parse(loa::httpRequest(target, "GET", "/api/stations").body);
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    const auto stats = parseStats(station.output());
    EXPECT_GE(stats.at("decoded"), 200) << station.output();
    EXPECT_EQ(stats.at("decrypt_failures"), 0);
    EXPECT_GE(stats.at("reports_sent"), 2);
    const auto& s = stations.at(0);
    EXPECT_TRUE(s.at("online").get<bool>()) << s.dump();
    EXPECT_GE(s.at("reports").get<int>(), 2) << s.dump();
    EXPECT_EQ(s.at("cumulative_lost").get<int>(), 0) << s.dump();
    EXPECT_TRUE(s.contains("jitter_ms")) << s.dump();
    const std::string log = gateway.errors();
    EXPECT_NE(log.find("nat-1: reports from " + where), std::string::npos) << log;
    size_t refusals = 0;
    for (const char* why : {"refused: authentication failed", "refused: a replay"}) {
        for (size_t at = log.find(why); at != std::string::npos; at = log.find(why, at + 1))
            ++refusals;
    }
    EXPECT_EQ(refusals, 2u) << "the forged report and the replayed one: " << log;
}

TEST(Stations, AStationAddedOverTheApiIsServedAndSurvivesARestartAndRemovalIsDurableToo) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), api = freeUdpPort(), port = freeUdpPort();
    const std::string op = "loa_operator_for_the_station_test", viewer = "loa_viewer_for_the_station_test";
    const auto config = ConfigBuilder("gw", loopback(media))
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .api(ApiConfig(loopback(api)).token("olga", "operator", op).token("vera", "viewer", viewer))
                            .write(dir.path() / "gw.yaml");
    const std::vector<uint8_t> key(30, 0x72);
    const std::string station = R"({"id": "rt-1", "programme": "national", "address": "127.0.0.1:)" +
                                std::to_string(port) + R"(", "key": ")" + loa::base64Encode(key) +
                                R"(", "area": "01/003/00300"})";
    loa::HttpTarget asOperator{"http://127.0.0.1:" + std::to_string(api), op, "", false};
    loa::HttpTarget asViewer{"http://127.0.0.1:" + std::to_string(api), viewer, "", false};
    auto waitForApi = [&] {
        for (int i = 0; i < 50; ++i) {
            try {
                if (loa::httpRequest(asViewer, "GET", "/api/status").status == 200) return;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(100ms);
        }
    };
    auto ids = [&] {
        std::vector<std::string> out;
        for (const auto& s : Json::parse(loa::httpRequest(asViewer, "GET", "/api/stations").body))
            out.push_back(s["id"]);
        return out;
    };
    {
        Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
        waitForApi();
        EXPECT_EQ(loa::httpRequest(asViewer, "POST", "/api/stations", station).status, 403);
        const auto bad = loa::httpRequest(asOperator, "POST", "/api/stations",
                                          R"({"id": "rt-2", "programme": "national", "address": "nowhere"})");
        EXPECT_EQ(bad.status, 400);
        EXPECT_NE(bad.body.find("station.address"), std::string::npos) << bad.body;
        const auto added = loa::httpRequest(asOperator, "POST", "/api/stations", station);
        ASSERT_EQ(added.status, 201) << added.body;
        EXPECT_EQ(loa::httpRequest(asOperator, "POST", "/api/stations", station).status, 409);
        EXPECT_EQ(ids(), std::vector<std::string>{"rt-1"});
        EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    }
    // After a restart the station is still there and served.
    Process receiver({LOA_STATION_BIN, "--listen", "127.0.0.1:" + std::to_string(port), "--key", loa::base64Encode(key),
                      "--duration", "3"},
                     dir.path() / "st.json", dir.path() / "st.log");
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw2.out", dir.path() / "gw2.log");
    waitForApi();
    EXPECT_EQ(ids(), std::vector<std::string>{"rt-1"});
    ASSERT_EQ(receiver.wait(10s), 0) << receiver.errors();
    EXPECT_GE(parseStats(receiver.output()).at("decoded"), 100) << receiver.output();
    const auto removed = loa::httpRequest(asOperator, "POST", "/api/stations/rt-1/remove");
    EXPECT_EQ(removed.status, 200) << removed.body;
    EXPECT_TRUE(ids().empty());
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    Process third({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw3.out", dir.path() / "gw3.log");
    waitForApi();
    EXPECT_TRUE(ids().empty()) << "the removal is durable too";
    EXPECT_EQ(third.stop(), 0) << third.errors();
}

TEST(Api, ServesHttpsWithItsCertificateAndLoactlChecksIt) {
    TempDir dir;
    const auto cert = dir.path() / "api.crt", key = dir.path() / "api.key";
    Process openssl({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                     "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.string(), "-out", cert.string()},
                    dir.path() / "openssl.out", dir.path() / "openssl.err");
    ASSERT_EQ(openssl.wait(30s), 0) << openssl.errors();
    const uint16_t media = freeUdpPort(), api = freeUdpPort();
    const std::string token = "loa_viewer_for_the_tls_test_01234";
    const auto config =
        ConfigBuilder("gw", loopback(media))
            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
            .api(ApiConfig(loopback(api)).tls(cert.string(), key.string()).token("vera", "viewer", token))
            .write(dir.path() / "gw.yaml");
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    const std::string url = "https://127.0.0.1:" + std::to_string(api);
    auto loactl = [&](std::vector<std::string> extra, const std::string& name) {
        std::vector<std::string> args = {LOA_LOACTL_BIN, "--url", url, "--token", token};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back("status");
        Process p(args, dir.path() / (name + ".out"), dir.path() / (name + ".err"));
        const int rc = p.wait(10s);
        return std::pair{rc, p.output() + p.errors()};
    };
    std::pair<int, std::string> checked;
    for (int i = 0; i < 50; ++i) {
        checked = loactl({"--ca", cert.string()}, "checked");
        if (checked.first == 0) break;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(checked.first, 0) << checked.second;
    EXPECT_NE(checked.second.find("\"gateway\": \"gw\""), std::string::npos) << checked.second;
    const auto unchecked = loactl({}, "unknown-ca");
    EXPECT_EQ(unchecked.first, 1) << "a certificate from an unknown CA is refused";
    EXPECT_NE(unchecked.second.find("TLS"), std::string::npos) << unchecked.second;
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
}

TEST(Stations, AStationWithoutAnAddressIsServedFromItsFirstReport) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), port = freeUdpPort();
    const auto config = ConfigBuilder("gw", loopback(media))
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .station(StationConfig("roaming-1", "national").port(port))
                            .write(dir.path() / "gw.yaml");
    const std::string sdp = stationKeys(config, "roaming-1", true);
    ASSERT_NE(sdp.find("c=IN IP4 0.0.0.0"), std::string::npos) << sdp;
    ASSERT_NE(sdp.find("m=audio " + std::to_string(port)), std::string::npos) << sdp;
    std::ofstream(dir.path() / "roaming-1.sdp") << sdp;
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    std::this_thread::sleep_for(500ms);  // serving nobody: it does not know where the station is
    Process station({LOA_STATION_BIN, "--sdp", (dir.path() / "roaming-1.sdp").string(), "--duration", "3", "--state",
                     (dir.path() / "st").string()},
                    dir.path() / "st.json", dir.path() / "st.log");
    ASSERT_EQ(station.wait(10s), 0) << station.errors();
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    const auto stats = parseStats(station.output());
    EXPECT_GE(stats.at("decoded"), 100) << station.output();
    EXPECT_EQ(stats.at("decrypt_failures"), 0);
    EXPECT_NE(gateway.errors().find("roaming-1: reports from 127.0.0.1:" + std::to_string(port)), std::string::npos)
        << gateway.errors();
}
