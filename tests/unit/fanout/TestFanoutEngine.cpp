#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>

#include <cstring>
#include <map>
#include <thread>

#include "TestData.hpp"
#include "fanout/FanoutEngine.hpp"
#include "net/UdpSocket.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"

using namespace loa;
using namespace std::chrono_literals;

namespace {
std::vector<uint8_t> keyFor(int i) {
    return std::vector<uint8_t>(30, static_cast<uint8_t>(i + 1));
}

struct Packet {
    uint16_t sequence;
    uint32_t timestamp, ssrc;
    uint8_t priority;
    bool authentic;
    std::chrono::nanoseconds arrival;  ///< kernel receive time
};

/// A station on loopback (or a member of a multicast group): its socket and an SRTP receiver.
struct Receiver {
    UdpSocket socket;
    SrtpSession srtp;
    Receiver(int key, const std::string& bind = "127.0.0.1:0", bool reuse = false)
        : socket(*SocketAddress::parse(bind), reuse),
          srtp(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, keyFor(key)) {
        const int one = 1;
        ::setsockopt(socket.fd(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        socket.setBufferSizes(1 << 20, 1 << 20);
    }
    SocketAddress address() const { return socket.localAddress(); }

    /// What arrived until nothing more came for `quiet`; while fewer than `expect` are in, it
    /// waits up to 3 s for them (a loaded machine, a sanitizer build) instead.
    std::vector<Packet> drain(std::chrono::milliseconds quiet = 100ms, size_t expect = 0) {
        std::vector<Packet> out;
        pollfd pfd{socket.fd(), POLLIN, 0};
        const auto patience = std::chrono::steady_clock::now() + 3s;
        const auto wait = [&] {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(patience - std::chrono::steady_clock::now());
            return static_cast<int>(out.size() < expect ? std::max(left, quiet).count() : quiet.count());
        };
        while (::poll(&pfd, 1, wait()) > 0) {
            uint8_t buf[2048];
            char control[256];
            iovec iov{buf, sizeof buf};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            const ssize_t n = ::recvmsg(socket.fd(), &msg, MSG_DONTWAIT);
            if (n <= 0) break;
            std::chrono::nanoseconds when{};
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    when = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
                }
            }
            size_t len = static_cast<size_t>(n);
            // Following the sender's rollover counter, as loa-station does.
            if (unprotectRtpFollowingSender(srtp, {buf, sizeof buf}, len, 1) != SrtpResult::ok) {
                out.push_back({0, 0, 0, 0, false, when});
                continue;
            }
            auto p = RtpPacket::parse({buf, len});
            auto info = StreamInfo::parse(*p->oneByteExtension(1));
            out.push_back({p->sequence(), p->timestamp(), p->ssrc(), info->priority, true, when});
        }
        return out;
    }
};

FramePtr frame(uint64_t index, PriorityLevel priority = PriorityLevel::scheduled) {
    auto f = std::make_shared<EncodedFrame>();
    f->payload.assign(80, static_cast<uint8_t>(index));
    f->index = index;
    f->timestamp = static_cast<uint32_t>(index * 960);
    f->priority = priority;
    f->ready = std::chrono::steady_clock::now();
    return f;
}

void expectContinuous(const std::vector<Packet>& got, size_t count, uint32_t ssrc) {
    ASSERT_EQ(got.size(), count);
    for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_TRUE(got[i].authentic) << "packet " << i << " failed SRTP authentication";
        EXPECT_EQ(got[i].ssrc, ssrc);
        if (i > 0) {
            EXPECT_EQ(static_cast<uint16_t>(got[i].sequence - got[i - 1].sequence), 1) << "sequence gap at " << i;
            EXPECT_EQ(got[i].timestamp - got[i - 1].timestamp, 960u) << "timestamp step at " << i;
        }
    }
}
}  // namespace

class FanoutEngineTest : public ::testing::Test {
protected:
    test::TempDir dir;
    IndexReservation reservation{dir.path() / "rollover", 64};
    UdpSocket sender{*SocketAddress::parse("127.0.0.1:0")};
    std::unique_ptr<FanoutEngine> engine;
    bool fastPath = true;  ///< AES-NI fast path where the CPU has it; false: libsrtp

    void make(unsigned workers, std::chrono::milliseconds window = 0ms, unsigned slots = 10,
              unsigned fillPerSlot = 64, int realtimePriority = 0) {
        FanoutOptions o;
        o.workers = workers;
        o.pacing.realtimePriority = realtimePriority;
        o.pacing.window = window;
        o.pacing.slots = slots;
        o.pacing.fillPerSlot = fillPerSlot;
        engine = std::make_unique<FanoutEngine>(reservation, o);
        engine->start();
    }
    void addStation(const std::string& id, size_t programme, const SocketAddress& to, int key, uint32_t ssrc,
                    int fd = -1) {
        engine->add(makeDestination(id, programme, to, fd < 0 ? sender.fd() : fd, ssrc,
                                    SrtpProfile::aesCm128HmacSha1_80, keyFor(key), fastPath));
    }
    /// Publishes frames [from, to), one per `gap`, then waits until the engine sent `expectPackets` in all.
    void publish(uint64_t from, uint64_t to, uint64_t expectPackets, std::chrono::milliseconds gap = 1ms,
                 size_t programme = 0) {
        // Adds and removes take effect between frames: a snapshot (a round trip through every
        // worker's queue) makes sure they have before the first frame goes out.
        engine->destinations();
        for (uint64_t i = from; i < to; ++i) {
            engine->publish(programme, frame(i, i % 20 < 10 ? PriorityLevel::scheduled : PriorityLevel::emergency), 96);
            std::this_thread::sleep_for(gap);
        }
        const auto until = std::chrono::steady_clock::now() + 5s;
        while (engine->totals().packets < expectPackets && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(5ms);
        }
    }
};

TEST_F(FanoutEngineTest, WithLibsrtpEachStationSeesOneContinuousStreamOfItsOwnAcrossWorkers) {
    fastPath = false;
    make(2);
    std::vector<std::unique_ptr<Receiver>> receivers;
    for (int i = 0; i < 6; ++i) {
        receivers.push_back(std::make_unique<Receiver>(i));
        addStation("st-" + std::to_string(i), 0, receivers.back()->address(), i, 2000u + static_cast<uint32_t>(i));
    }
    publish(0, 20, 6 * 20);
    for (int i = 0; i < 6; ++i)
        expectContinuous(receivers[static_cast<size_t>(i)]->drain(100ms, 20), 20, 2000u + static_cast<uint32_t>(i));
}

TEST_F(FanoutEngineTest, EachStationSeesOneContinuousStreamOfItsOwnAcrossWorkers) {
    make(2);
    std::vector<std::unique_ptr<Receiver>> receivers;
    for (int i = 0; i < 6; ++i) {
        receivers.push_back(std::make_unique<Receiver>(i));
        addStation("st-" + std::to_string(i), 0, receivers.back()->address(), i, 1000u + static_cast<uint32_t>(i));
    }
    publish(0, 20, 6 * 20);
    for (int i = 0; i < 6; ++i) {
        const auto got = receivers[static_cast<size_t>(i)]->drain(100ms, 20);
        expectContinuous(got, 20, 1000u + static_cast<uint32_t>(i));
        for (size_t k = 0; k < got.size(); ++k)
            EXPECT_EQ(got[k].priority, k < 10 ? 4 : 1);  // follows the frame
    }
    const auto status = engine->destinations();
    ASSERT_EQ(status.size(), 6u);
    for (const auto& s : status) {
        EXPECT_EQ(s.counters.packets, 20u) << s.id;
        EXPECT_EQ(s.counters.sendErrors, 0u);
    }
}

TEST_F(FanoutEngineTest, WorkersRunRealTimeWhereAllowedAndSendEitherWay) {
    // Whether this process may: a thread of its own tries first.
    bool allowed = false;
    std::thread([&] {
        const sched_param p{.sched_priority = 5};
        allowed = sched_setscheduler(0, SCHED_FIFO, &p) == 0;
    }).join();
    make(2, 4ms, 4, 1, 5);
    std::vector<std::unique_ptr<Receiver>> receivers;
    for (int i = 0; i < 4; ++i) {
        receivers.push_back(std::make_unique<Receiver>(i));
        addStation("rt-" + std::to_string(i), 0, receivers.back()->address(), i, 700u + static_cast<uint32_t>(i));
    }
    publish(0, 10, 4 * 10, 20ms);
    for (int i = 0; i < 4; ++i)
        expectContinuous(receivers[static_cast<size_t>(i)]->drain(100ms, 10), 10, 700u + static_cast<uint32_t>(i));
    // Under SCHED_FIFO where the process may have it; refused (and said so) otherwise, sending all the same.
    EXPECT_EQ(engine->totals().realtimeWorkers, allowed ? 2u : 0u);
    for (unsigned w = 0; w < engine->workerCount(); ++w) {
        const auto tid = engine->worker(w).threadId();
        EXPECT_EQ(sched_getscheduler(tid) & ~SCHED_RESET_ON_FORK, allowed ? SCHED_FIFO : SCHED_OTHER) << "worker " << w;
    }
}

TEST_F(FanoutEngineTest, ShardsDestinationsOverItsWorkers) {
    make(4);
    std::vector<std::unique_ptr<Receiver>> receivers;
    for (int i = 0; i < 40; ++i) {
        receivers.push_back(std::make_unique<Receiver>(0));
        addStation("commune-" + std::to_string(i), 0, receivers.back()->address(), 0, static_cast<uint32_t>(i));
    }
    const auto status = engine->destinations();
    ASSERT_EQ(status.size(), 40u);
    std::map<unsigned, int> perWorker;
    for (const auto& s : status)
        ++perWorker[s.worker];
    EXPECT_EQ(perWorker.size(), 4u);  // every worker has a share
    for (const auto& [w, n] : perWorker)
        EXPECT_LT(n, 25) << "worker " << w << " holds too many";
    EXPECT_EQ(engine->totals().destinations, 40u);
}

TEST_F(FanoutEngineTest, StationsFollowOnlyTheirProgramme) {
    make(1);
    Receiver a(0), b(1);
    addStation("a", 0, a.address(), 0, 1);
    addStation("b", 1, b.address(), 1, 2);
    publish(0, 5, 5);
    EXPECT_EQ(a.drain(100ms, 5).size(), 5u);
    EXPECT_EQ(b.drain().size(), 0u);
}

TEST_F(FanoutEngineTest, AStationSwitchedToAnotherProgrammeKeepsOneContinuousStream) {
    make(1);
    Receiver a(0), b(1);
    addStation("a", 0, a.address(), 0, 11);
    addStation("b", 0, b.address(), 1, 12);
    // Programme 1 runs on its own media clock, far from programme 0's. Both frames of a tick
    // are due at the same moment, 20 ms apart from tick to tick, however late this thread runs.
    const auto t0 = std::chrono::steady_clock::now();
    auto at = [&](FramePtr f, uint64_t i) {
        auto copy = std::make_shared<EncodedFrame>(*f);
        copy->due = t0 + i * 20ms;
        return FramePtr(copy);
    };
    auto other = [](uint64_t i) {
        auto f = std::make_shared<EncodedFrame>(*frame(i, PriorityLevel::emergency));
        f->timestamp = static_cast<uint32_t>(123456789 + i * 960);
        return FramePtr(f);
    };
    for (uint64_t i = 0; i < 10; ++i) {
        if (i == 5) {
            engine->follow("a", 1);
            engine->destinations();  // applied before the next frame
        }
        engine->publish(0, at(frame(i), i), 96);
        engine->publish(1, at(other(i), i), 96);
        std::this_thread::sleep_for(20ms);
    }
    const auto got = a.drain(100ms, 10);
    ASSERT_EQ(got.size(), 10u);
    for (size_t k = 1; k < got.size(); ++k) {
        EXPECT_EQ(static_cast<uint16_t>(got[k].sequence - got[k - 1].sequence), 1) << k;
        const uint32_t step = got[k].timestamp - got[k - 1].timestamp;
        EXPECT_NEAR(step, 960, 96) << "timestamps advance by the time between frames at " << k;
        EXPECT_EQ(got[k].priority, k < 5 ? 4 : 1) << k;
    }
    const auto others = b.drain(100ms, 10);
    const auto t = engine->totals();
    std::string perStation;
    for (const auto& d : engine->destinations())
        perStation += " " + d.id + ": " + std::to_string(d.counters.packets) + " sent, " +
                      std::to_string(d.counters.protectErrors) + " protect errors, " +
                      std::to_string(d.counters.indexLimit) + " held;";
    ASSERT_EQ(others.size(), 10u) << "frames " << t.frames << ", sent " << t.packets << ", send errors "
                                  << t.sendErrors << ", would block " << t.wouldBlock << ", dropped frames "
                                  << t.droppedFrames << ";" << perStation;
    for (const auto& p : others)
        EXPECT_EQ(p.priority, 4) << "b still follows programme 0";
}

TEST_F(FanoutEngineTest, AddingAndRemovingAtRuntimeLeavesTheOthersUntouched) {
    make(2, 4ms, 4);
    Receiver a(0), b(1), c(2);
    addStation("a", 0, a.address(), 0, 1);
    addStation("b", 0, b.address(), 1, 2);
    publish(0, 10, 20, 5ms);
    engine->remove("b");
    addStation("c", 0, c.address(), 2, 3);
    publish(10, 20, 40, 5ms);
    expectContinuous(a.drain(100ms, 20), 20, 1);
    expectContinuous(b.drain(100ms, 10), 10, 2);
    expectContinuous(c.drain(100ms, 10), 10, 3);
}

TEST_F(FanoutEngineTest, ADestinationAddedAgainNeverRepeatsAPacketIndex) {
    make(1);
    Receiver a(0);
    addStation("a", 0, a.address(), 0, 7);
    publish(0, 3, 3);
    const auto before = engine->destinations().at(0).nextIndex;
    engine->remove("a");
    addStation("a", 0, a.address(), 0, 7);  // same key, same SSRC
    const auto after = engine->destinations().at(0).nextIndex;
    EXPECT_GT(after >> 16, before >> 16);  // a fresh rollover counter: every index is new
    publish(3, 6, 6);
    const auto got = a.drain(100ms, 6);
    ASSERT_EQ(got.size(), 6u);
    for (const auto& p : got)
        EXPECT_TRUE(p.authentic);
}

TEST_F(FanoutEngineTest, AnUnreachableStationDoesNotDisturbTheOthers) {
    make(1);
    Receiver a(0), b(1);
    SocketAddress nowhere;
    {
        UdpSocket closed(*SocketAddress::parse("127.0.0.1:0"));
        nowhere = closed.localAddress();  // nobody listens here once this socket closes
    }
    addStation("a", 0, a.address(), 0, 1);
    addStation("gone", 0, nowhere, 5, 9);
    addStation("b", 0, b.address(), 1, 2);
    publish(0, 30, 90);
    expectContinuous(a.drain(100ms, 30), 30, 1);
    expectContinuous(b.drain(100ms, 30), 30, 2);
}

TEST_F(FanoutEngineTest, PacingSpreadsAFrameOverFixedSlots) {
    make(1, 10ms, 10, 1);  // one destination fills a slot: 50 stations spread over all 10
    std::vector<std::unique_ptr<Receiver>> receivers;
    for (int i = 0; i < 50; ++i) {
        receivers.push_back(std::make_unique<Receiver>(0));
        addStation("st-" + std::to_string(i), 0, receivers.back()->address(), 0, static_cast<uint32_t>(i));
    }
    publish(0, 10, 500, 20ms);
    std::map<std::string, unsigned> slotOf;
    for (const auto& s : engine->destinations())
        slotOf[s.id] = s.slot;

    std::vector<std::vector<std::chrono::nanoseconds>> arrivals(10);
    std::vector<unsigned> slots;
    for (size_t i = 0; i < receivers.size(); ++i) {
        const auto got = receivers[i]->drain(20ms, 10);
        ASSERT_EQ(got.size(), 10u);
        for (size_t f = 0; f < got.size(); ++f)
            arrivals[f].push_back(got[f].arrival);
        slots.push_back(slotOf["st-" + std::to_string(i)]);
    }
    std::map<unsigned, int> perSlot;
    for (auto s : slots)
        ++perSlot[s];
    EXPECT_EQ(perSlot.size(), 10u);  // the least-loaded slot each time: 5 per slot
    for (const auto& [s, n] : perSlot)
        EXPECT_EQ(n, 5) << "slot " << s;
    // Within every frame, stations leave in slot order: a lower slot never after a higher one.
    for (size_t f = 0; f < arrivals.size(); ++f) {
        for (size_t i = 0; i < slots.size(); ++i) {
            for (size_t j = 0; j < slots.size(); ++j) {
                if (slots[i] < slots[j]) {
                    EXPECT_LE(arrivals[f][i], arrivals[f][j]) << "frame " << f;
                }
            }
        }
    }
    // No slot is sent before its time, so a frame's last packet leaves at least 9 ms (slot 9 of
    // a 10 ms window) after the frame was ready: the frame was spread, not burst.
    EXPECT_GE(engine->worker(0).stats().spread.quantile(0.5), 9ms);
}

TEST_F(FanoutEngineTest, FewDestinationsGoInOneBatchManyAreSpread) {
    make(1, 10ms, 10, 4);  // a slot takes 4 before the next is used
    std::vector<std::unique_ptr<Receiver>> receivers;
    auto slotsInUse = [&] {
        std::map<unsigned, int> perSlot;
        for (const auto& s : engine->destinations())
            ++perSlot[s.slot];
        return perSlot;
    };
    for (int i = 0; i < 6; ++i) {
        receivers.push_back(std::make_unique<Receiver>(0));
        addStation("st-" + std::to_string(i), 0, receivers.back()->address(), 0, static_cast<uint32_t>(i));
    }
    auto few = slotsInUse();
    EXPECT_EQ(few.size(), 2u);  // 4 + 2: two wake-ups per frame, not six
    EXPECT_EQ(few[0], 4);
    for (int i = 6; i < 60; ++i) {
        receivers.push_back(std::make_unique<Receiver>(0));
        addStation("st-" + std::to_string(i), 0, receivers.back()->address(), 0, static_cast<uint32_t>(i));
    }
    auto many = slotsInUse();
    EXPECT_EQ(many.size(), 10u);  // every slot filled to 4, then the least loaded: 6 each
    for (const auto& [slot, n] : many)
        EXPECT_EQ(n, 6) << "slot " << slot;
}

TEST_F(FanoutEngineTest, AMulticastGroupGetsOnePacketPerFrameWhateverItsMembers) {
    make(1);
    const uint16_t port = Receiver(0).address().port();
    const auto group = *SocketAddress::parse("239.255.42.1:" + std::to_string(port));
    const auto loopback = *SocketAddress::parse("127.0.0.1:0");
    UdpSocket groupSocket(loopback);
    groupSocket.setMulticastSending(1, &loopback, true);
    Receiver m1(3, group.toString(), true), m2(3, group.toString(), true);
    m1.socket.joinMulticast(group, &loopback);
    m2.socket.joinMulticast(group, &loopback);
    addStation("group:district-1", 0, group, 3, 77, groupSocket.fd());
    publish(0, 10, 10);
    expectContinuous(m1.drain(100ms, 10), 10, 77);
    expectContinuous(m2.drain(100ms, 10), 10, 77);
    EXPECT_EQ(engine->totals().packets, 10u);  // one per frame, not one per member
    EXPECT_TRUE(engine->destinations().at(0).multicast);
}
