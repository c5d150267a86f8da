// Hostile traffic at the gateway's ports while it serves 500 stations: junk, truncated,
// oversized and wrongly keyed packets at the media port (where stations report) and at the live
// ingest (where the studio sends). The stations hear every packet, the studio stays on air,
// each refusal is counted, and the log says a few lines with how many it held back.

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "StationFarm.hpp"
#include "StudioSender.hpp"
#include "TestData.hpp"
#include "common/Base64.hpp"
#include "rtp/Rtcp.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/StationKeys.hpp"

using namespace loa;
using namespace loa::test;
using namespace std::chrono_literals;

namespace {

/// Sends a bounded flood of bad datagrams to one port, `perMs` every millisecond until
/// `deadline` or `limit` datagrams. Each kind is made by `make` and counted by kind.
class Flooder {
public:
    using Make = std::function<std::vector<uint8_t>(std::mt19937&, size_t kind)>;
    Flooder(SocketAddress to, size_t kinds, Make make) : to_(to), counts_(kinds, 0), make_(std::move(make)) {}

    void run(std::chrono::steady_clock::time_point deadline, int perMs, size_t limit) {
        UdpSocket socket(*SocketAddress::parse("127.0.0.9:0"));
        socket.setBufferSizes(4 << 20, 0);
        std::mt19937 random(1234);
        auto next = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() < deadline && sent_ < limit) {
            for (int i = 0; i < perMs; ++i) {
                const size_t kind = sent_ % counts_.size();
                const auto datagram = make_(random, kind);
                if (socket.sendTo(datagram, to_)) {
                    ++counts_[kind];
                    ++sent_;
                }
            }
            next += 1ms;
            std::this_thread::sleep_until(next);
        }
    }
    size_t sent() const { return sent_; }
    size_t count(size_t kind) const { return counts_[kind]; }

private:
    SocketAddress to_;
    std::vector<size_t> counts_;
    Make make_;
    size_t sent_ = 0;
};

std::vector<uint8_t> randomBytes(std::mt19937& random, size_t length) {
    std::vector<uint8_t> out(length);
    for (auto& b : out)
        b = static_cast<uint8_t>(random());
    return out;
}

/// The UDP socket bound to 127.0.0.1:`port`, from /proc/net/udp: bytes waiting to be read, and
/// datagrams the kernel dropped because its receive buffer was full.
struct SocketQueue {
    bool bound = false;
    uint64_t waitingBytes = 0, drops = 0;
};
SocketQueue socketQueue(uint16_t port) {
    std::ifstream in("/proc/net/udp");
    std::string line;
    std::getline(in, line);  // header
    char local[32];
    std::snprintf(local, sizeof local, "0100007F:%04X", port);
    SocketQueue q;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, address, remote, state, queues, field;
        fields >> slot >> address >> remote >> state >> queues;
        if (address != local) continue;
        q.bound = true;
        q.waitingBytes += std::stoull(queues.substr(queues.find(':') + 1), nullptr, 16);
        while (fields >> field) {
        }
        q.drops += std::stoull(field);
    }
    return q;
}

/// Waits (up to 10 s) until the gateway has read everything waiting at `port`; returns the drops.
uint64_t drainedDrops(uint16_t port) {
    for (int i = 0; i < 1000 && socketQueue(port).waitingBytes > 0; ++i)
        std::this_thread::sleep_for(10ms);
    return socketQueue(port).drops;
}

}  // namespace

TEST(Flood, JunkAtTheMediaAndIngestPortsIsCountedAndNoStationLosesAPacket) {
    TempDir dir;
    constexpr int kStations = 500;
    const uint16_t stationPort = freeUdpPort(), mediaPort = freeUdpPort(), livePort = freeUdpPort();
    const std::vector<uint8_t> studioKey(30, 0x11), wrongKey(30, 0x22);
    ConfigBuilder config("flood", loopback(mediaPort));
    config.programme(ProgrammeConfig("national")
                         .live(IngestConfig(loopback(livePort))
                                   .key(b64(studioKey))
                                   .jitterMs(40)
                                   .timeoutMs(300)
                                   .returnMs(400)
                                   .silenceS(0))
                         .playlist({segment("a440.flac")}));
    std::vector<std::string> addresses;
    for (int i = 0; i < kStations; ++i) {
        addresses.push_back("127.4." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
        config.station(StationConfig("st-" + std::to_string(i), "national")
                           .address(addresses.back() + ":" + std::to_string(stationPort)));
    }
    config.write(dir.path() / "gateway.yaml");

    stationKeys(dir.path() / "gateway.yaml", "st-0", true);  // creates the gateway secret
    const auto secret = *hexDecode(Process::slurp(dir.path() / "state/secret").substr(0, 64));
    std::vector<StationFarm::Station> stations;
    for (int i = 0; i < kStations; ++i) {
        const auto id = "st-" + std::to_string(i);
        stations.push_back(
            {*SocketAddress::parse(addresses[static_cast<size_t>(i)] + ":" + std::to_string(stationPort)),
             i % 10 == 0 ? deriveStationKey(secret, id, SrtpProfile::aesCm128HmacSha1_80) : std::vector<uint8_t>{}});
    }
    StationFarm farm(stationPort, stations, 1);
    Process gateway({LOA_GATEWAY_BIN, "--config", (dir.path() / "gateway.yaml").string()}, dir.path() / "gw.out",
                    dir.path() / "gw.log");

    // The genuine studio, on air throughout.
    StudioOptions studioOptions;
    studioOptions.destination = *SocketAddress::parse("127.0.0.1:" + std::to_string(livePort));
    studioOptions.key = studioKey;
    StudioSender studio(studioOptions);
    studio.start();

    // Media port: random junk, truncated reports, oversized datagrams, and reports of real
    // stations under a wrong key.
    std::vector<SrtpSession> forgers;
    for (int i = 0; i < 16; ++i) {
        const uint32_t reporter = reporterSsrcFor(deriveStationSsrc(secret, "st-" + std::to_string(i * 31)));
        forgers.emplace_back(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, wrongKey, reporter);
    }
    size_t forged = 0;
    auto report = [&](SrtpSession& session, uint32_t reporter) {
        std::vector<uint8_t> packet(128);
        ReceiverReport rr;
        rr.reporterSsrc = reporter;
        size_t length = writeReceiverReport(rr, packet);
        EXPECT_EQ(session.protectRtcp(packet, length), SrtpResult::ok);
        packet.resize(length);
        return packet;
    };
    enum MediaKind { junk, truncated, oversized, wronglyKeyed, kMediaKinds };
    Flooder media(*SocketAddress::parse("127.0.0.1:" + std::to_string(mediaPort)), kMediaKinds,
                  [&](std::mt19937& random, size_t kind) {
                      switch (kind) {
                      case junk: {
                          auto b = randomBytes(random, 1 + random() % 1400);
                          b[0] = static_cast<uint8_t>(b[0] & 0x3f);  // version 0: never taken for RTCP
                          return b;
                      }
                      case truncated: return randomBytes(random, 1 + random() % 7);
                      case oversized: return randomBytes(random, 1501 + random() % 2500);
                      default: {
                          const size_t f = forged++ % forgers.size();
                          return report(forgers[f], reporterSsrcFor(deriveStationSsrc(
                                                        secret, "st-" + std::to_string(f * 31))));
                      }
                      }
                  });
    // Live ingest: junk, oversized, plain RTP, and SRTP under a wrong key with the studio's SSRC.
    SrtpSession impostor(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, wrongKey,
                         studioOptions.ssrc);
    uint16_t impostorSequence = 1;
    enum IngestKind { ingestJunk, ingestOversized, plain, impostorKind, kIngestKinds };
    Flooder ingest(studioOptions.destination, kIngestKinds, [&](std::mt19937& random, size_t kind) {
        if (kind == ingestJunk) {
            auto b = randomBytes(random, 1 + random() % 1400);
            b[0] = static_cast<uint8_t>(b[0] & 0x3f);
            return b;
        }
        if (kind == ingestOversized) return randomBytes(random, 1501 + random() % 2500);
        std::vector<uint8_t> packet(200);
        RtpHeader h;
        h.payloadType = 96;
        h.sequence = impostorSequence++;
        h.timestamp = h.sequence * 960u;
        h.ssrc = studioOptions.ssrc;
        size_t length = writeRtpHeader(h, packet) + 60;
        if (kind == impostorKind) {
            EXPECT_EQ(impostor.protectRtp(packet, length), SrtpResult::ok);
        }
        packet.resize(length);
        return packet;
    });

    // Once the gateway has bound its ports (what is sent before is lost to nobody's account):
    // 1 s for the studio to take the air, then 5.5 s of flood (past one 5 s log window), then 1 s.
    for (int i = 0; i < 1000 && !(socketQueue(mediaPort).bound && socketQueue(livePort).bound); ++i)
        std::this_thread::sleep_for(10ms);
    const auto start = std::chrono::steady_clock::now();
    std::thread floodMedia([&] { media.run(start + 6500ms, 4, 30000); });
    std::thread floodIngest([&] {
        std::this_thread::sleep_until(start + 1s);
        ingest.run(start + 6500ms, 4, 30000);
    });
    farm.run(start + 7500ms);
    floodMedia.join();
    floodIngest.join();
    // What the kernel dropped for a full buffer never reached the gateway; all else must be counted.
    const uint64_t mediaDrops = drainedDrops(mediaPort), ingestDrops = drainedDrops(livePort);
    // Read the counters through the gateway's own summary, logged as it stops.
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    const uint64_t studioFrames = studio.framesSent();
    studio.stop();
    const std::string log = Process::slurp(dir.path() / "gw.log");

    expectEveryPacket(farm, 300);  // ~7 s at 50 packets/s after start-up
    EXPECT_GE(media.sent(), 15000u);
    EXPECT_GE(ingest.sent(), 12000u);

    // The media port's summary: everything sent was refused, under its own reason.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(log, m,
                                  std::regex(R"(media port: (\d+) station reports, refused (\d+) unauthentic, (\d+) )"
                                             R"(replayed, (\d+) from before a restart, (\d+) beyond their floor, (\d+) )"
                                             R"(of unknown SSRC, (\d+) malformed, (\d+) oversized)")))
        << log;
    const auto n = [&](int i) { return std::stoull(m[i].str()); };
    EXPECT_EQ(n(1), 0u);  // no report was genuine, and none moved a station
    EXPECT_EQ(n(4) + n(5), 0u) << "nothing from before a restart, and no genuine report beyond its floor";
    // A wrongly keyed report is refused as unauthentic, or as a replay when its index was seen
    // already: libsrtp checks the replay window before it authenticates.
    const uint64_t underWrongKey = n(2) + n(3);
    EXPECT_EQ(underWrongKey + n(6) + n(7) + n(8) + mediaDrops, media.sent())
        << "refusals not counted: " << underWrongKey << " " << n(6) << " " << n(7) << " " << n(8) << " " << mediaDrops
        << " of " << media.count(junk) << " " << media.count(truncated) << " " << media.count(oversized) << " "
        << media.count(wronglyKeyed);
    EXPECT_LE(mediaDrops, media.sent() / 5) << "the gateway fell far behind the flood";
    EXPECT_GT(underWrongKey, 0u);
    EXPECT_LE(underWrongKey, media.count(wronglyKeyed));
    EXPECT_GT(n(8), 0u);
    EXPECT_LE(n(8), media.count(oversized));
    EXPECT_GT(n(6) + n(7), 0u);
    EXPECT_EQ(log.find("reports from 127.0.0.9"), std::string::npos) << "a forged report moved a station";

    // The ingest's summary: the studio's packets taken, the impostor's refused.
    ASSERT_TRUE(std::regex_search(log, m,
                                  std::regex(R"(ingest national/live: (\d+) packets, refused (\d+) unauthentic, (\d+) )"
                                             R"(replays, \d+ from before a restart, \d+ from an unexpected source, )"
                                             R"((\d+) malformed, (\d+) oversized)")))
        << log;
    // Every datagram is accounted for, but the studio's sent before the gateway bound its port.
    const uint64_t accounted = n(1) + n(2) + n(3) + n(4) + n(5) + ingestDrops;
    EXPECT_LE(accounted, studioFrames + ingest.sent());
    EXPECT_GE(accounted + 50, studioFrames + ingest.sent());
    EXPECT_LE(n(1), studioFrames);
    EXPECT_LE(ingestDrops, ingest.sent() / 5) << "the ingest fell far behind the flood";
    EXPECT_GT(n(2), 0u);
    EXPECT_LE(n(2), ingest.count(plain) + ingest.count(impostorKind));
    EXPECT_GT(n(5), 0u);
    EXPECT_LE(n(5), ingest.count(ingestOversized));
    EXPECT_NE(log.find("on air live"), std::string::npos) << "the studio lost the air";

    // The log: a few refusal lines per 5 s window, one of them saying how many it held back.
    size_t refusalLines = 0;
    uint64_t heldBack = 0;
    const std::regex refusal(R"(refused.*\((\d+) more)");
    for (std::sregex_iterator it(log.begin(), log.end(), refusal), end; it != end; ++it) {
        ++refusalLines;
        heldBack = std::max<uint64_t>(heldBack, std::stoull((*it)[1].str()));
    }
    EXPECT_GE(refusalLines, 2u);
    EXPECT_LE(refusalLines, 20u) << "refusals flood the log";
    EXPECT_GE(heldBack, 1000u) << "no line says how many refusals it held back";
}
