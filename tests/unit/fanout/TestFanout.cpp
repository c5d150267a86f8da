#include <gtest/gtest.h>

#include <poll.h>

#include <map>

#include "TestData.hpp"
#include "fanout/Fanout.hpp"
#include "rtp/RtpPacket.hpp"

using namespace loa;

namespace {
std::vector<uint8_t> keyFor(int i) {
    return std::vector<uint8_t>(30, static_cast<uint8_t>(i + 1));
}

/// A station on loopback: its socket and a receiving SRTP session with its key.
struct Receiver {
    UdpSocket socket{*SocketAddress::parse("127.0.0.1:0")};
    SrtpSession srtp;
    explicit Receiver(int i) : srtp(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, keyFor(i)) {}

    /// Decrypts what has arrived; returns the parsed headers (seq, ts, ssrc, priority).
    std::vector<std::array<uint32_t, 4>> drain() {
        std::vector<std::array<uint32_t, 4>> out;
        pollfd pfd{socket.fd(), POLLIN, 0};
        while (::poll(&pfd, 1, 50) > 0) {
            uint8_t buf[2048];
            SocketAddress from;
            const ssize_t n = socket.receive(buf, from);
            if (n <= 0) break;
            size_t len = static_cast<size_t>(n);
            if (srtp.unprotectRtp({buf, sizeof buf}, len) != SrtpResult::ok) {
                out.push_back({0, 0, 0, 0xdead});
                continue;
            }
            auto p = RtpPacket::parse({buf, len});
            auto info = StreamInfo::parse(*p->oneByteExtension(1));
            out.push_back({p->sequence(), p->timestamp(), p->ssrc(), info->priority});
        }
        return out;
    }
};

EncodedFrame frame(uint64_t index, PriorityLevel priority = PriorityLevel::scheduled) {
    EncodedFrame f;
    f.payload.assign(80, static_cast<uint8_t>(index));
    f.index = index;
    f.timestamp = static_cast<uint32_t>(index * 960);
    f.priority = priority;
    return f;
}
}  // namespace

class FanoutTest : public ::testing::Test {
protected:
    test::TempDir dir;
    RolloverReservation reservation{dir.path() / "rollover", 64};
    UdpSocket sender{*SocketAddress::parse("127.0.0.1:0")};
    Fanout fanout{sender, 1, reservation};

    void addStation(const std::string& id, size_t programme, const Receiver& r, int keyIndex, uint32_t ssrc) {
        fanout.add(Fanout::makeDestination(
            id, programme, r.socket.localAddress(), ssrc,
            SrtpSession(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, keyFor(keyIndex))));
    }
};

TEST_F(FanoutTest, EachStationSeesOneContinuousStreamOfItsOwn) {
    Receiver a(0), b(1);
    addStation("a", 0, a, 0, 1111);
    addStation("b", 0, b, 1, 2222);
    for (uint64_t i = 0; i < 20; ++i)
        fanout.send(0, frame(i, i < 10 ? PriorityLevel::scheduled : PriorityLevel::emergency), 96);

    for (auto* r : {&a, &b}) {
        const auto got = r->drain();
        ASSERT_EQ(got.size(), 20u);
        for (size_t i = 0; i < got.size(); ++i) {
            ASSERT_NE(got[i][3], 0xdeadu) << "packet " << i << " failed SRTP authentication";
            EXPECT_EQ(got[i][2], r == &a ? 1111u : 2222u);
            if (i > 0) {
                EXPECT_EQ(static_cast<uint16_t>(got[i][0] - got[i - 1][0]), 1) << "sequence gap at " << i;
                EXPECT_EQ(got[i][1] - got[i - 1][1], 960u) << "timestamp step at " << i;
            }
            EXPECT_EQ(got[i][3], i < 10 ? 4u : 1u);  // priority follows the frame
        }
    }
    const auto* d = fanout.find("a");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->counters.packets, 20u);
    EXPECT_EQ(d->counters.sendErrors, 0u);
}

TEST_F(FanoutTest, StationsFollowOnlyTheirProgramme) {
    Receiver a(0), b(1);
    addStation("a", 0, a, 0, 1);
    addStation("b", 1, b, 1, 2);
    for (uint64_t i = 0; i < 5; ++i)
        fanout.send(0, frame(i), 96);
    EXPECT_EQ(a.drain().size(), 5u);
    EXPECT_EQ(b.drain().size(), 0u);
}

TEST_F(FanoutTest, AddingAndRemovingAtRuntimeLeavesTheOthersUntouched) {
    Receiver a(0), b(1), c(2);
    addStation("a", 0, a, 0, 1);
    addStation("b", 0, b, 1, 2);
    for (uint64_t i = 0; i < 5; ++i)
        fanout.send(0, frame(i), 96);
    EXPECT_TRUE(fanout.remove("b"));
    EXPECT_FALSE(fanout.remove("b"));
    addStation("c", 0, c, 2, 3);
    for (uint64_t i = 5; i < 10; ++i)
        fanout.send(0, frame(i), 96);

    const auto gotA = a.drain();
    ASSERT_EQ(gotA.size(), 10u);
    for (size_t i = 1; i < gotA.size(); ++i)
        EXPECT_EQ(static_cast<uint16_t>(gotA[i][0] - gotA[i - 1][0]), 1);
    EXPECT_EQ(b.drain().size(), 5u);
    EXPECT_EQ(c.drain().size(), 5u);
}

TEST_F(FanoutTest, AStationAddedAgainNeverRepeatsAPacketIndex) {
    Receiver a(0);
    addStation("a", 0, a, 0, 7);
    for (uint64_t i = 0; i < 3; ++i)
        fanout.send(0, frame(i), 96);
    const uint32_t rocBefore = fanout.highestRolloverCounter();
    fanout.remove("a");
    addStation("a", 0, a, 0, 7);  // same key, same SSRC
    fanout.send(0, frame(3), 96);
    EXPECT_GT(fanout.highestRolloverCounter(), rocBefore);  // a fresh rollover counter: new indexes
}

TEST_F(FanoutTest, AnUnreachableStationDoesNotDisturbTheOthers) {
    Receiver a(0), b(1);
    SocketAddress nowhere;
    {
        UdpSocket closed(*SocketAddress::parse("127.0.0.1:0"));
        nowhere = closed.localAddress();  // a port nobody listens on once this socket closes
    }
    addStation("a", 0, a, 0, 1);
    fanout.add(Fanout::makeDestination(
        "gone", 0, nowhere, 9,
        SrtpSession(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, keyFor(5))));
    addStation("b", 0, b, 1, 2);
    for (uint64_t i = 0; i < 30; ++i)
        fanout.send(0, frame(i), 96);
    EXPECT_EQ(a.drain().size(), 30u);
    EXPECT_EQ(b.drain().size(), 30u);
}
