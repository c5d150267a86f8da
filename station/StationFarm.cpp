#include "StationFarm.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "common/Error.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"

namespace loa {
namespace {
uint32_t ipv4Of(const SocketAddress& a) {
    return ntohl(reinterpret_cast<const sockaddr_in*>(a.sockaddrPtr())->sin_addr.s_addr);
}
}  // namespace

StationFarm::StationFarm(std::vector<Station> stations, uint8_t extensionId, std::chrono::nanoseconds frame,
                         std::nullptr_t)
    : stations_(std::move(stations)),
      counters_(stations_.size()),
      sessions_(stations_.size()),
      highest_(stations_.size()),
      lastArrival_(stations_.size()),
      extensionId_(extensionId),
      frame_(frame) {
    for (size_t i = 0; i < stations_.size(); ++i) {
        if (!stations_[i].key.empty()) {
            sessions_[i] =
                std::make_unique<SrtpSession>(SrtpSession::Direction::inbound, stations_[i].profile, stations_[i].key);
        }
    }
}

StationFarm::StationFarm(uint16_t port, std::vector<Station> stations, uint8_t extensionId,
                         std::chrono::nanoseconds frame)
    : StationFarm(std::move(stations), extensionId, frame, nullptr) {
    shared_.emplace(*SocketAddress::parse("0.0.0.0:" + std::to_string(port)));
    const int one = 1;
    if (::setsockopt(shared_->fd(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0 ||
        ::setsockopt(shared_->fd(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
        throwSystemError("cannot enable IP_PKTINFO/SO_TIMESTAMPNS", errno);
    }
    shared_->setBufferSizes(1 << 20, 32 << 20);
    for (size_t i = 0; i < stations_.size(); ++i)
        byAddress_[ipv4Of(stations_[i].address)] = i;
}

StationFarm::StationFarm(std::vector<Station> stations, uint8_t extensionId, std::chrono::nanoseconds frame)
    : StationFarm(std::move(stations), extensionId, frame, nullptr) {
    const int one = 1;
    own_.reserve(stations_.size());
    for (auto& s : stations_) {
        auto& socket = own_.emplace_back(s.address);
        if (::setsockopt(socket.fd(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
            throwSystemError("cannot enable SO_TIMESTAMPNS", errno);
        }
        socket.setBufferSizes(1 << 16, 1 << 18);
        s.address = socket.localAddress();
    }
}

void StationFarm::run(std::chrono::steady_clock::time_point deadline) {
    if (shared_) {
        runShared(deadline);
    } else {
        runOwnSockets(deadline);
    }
}

void StationFarm::runShared(std::chrono::steady_clock::time_point deadline) {
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd pfd{shared_->fd(), POLLIN, 0};
        if (::poll(&pfd, 1, 50) > 0) receiveBatch(shared_->fd(), -1);
    }
}

void StationFarm::runOwnSockets(std::chrono::steady_clock::time_point deadline) {
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) throwSystemError("epoll_create1", errno);
    for (size_t i = 0; i < own_.size(); ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, own_[i].fd(), &ev);
    }
    std::vector<epoll_event> events(512);
    while (std::chrono::steady_clock::now() < deadline) {
        const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
        for (int e = 0; e < n; ++e) {
            const auto i = static_cast<long>(events[static_cast<size_t>(e)].data.u64);
            receiveBatch(own_[static_cast<size_t>(i)].fd(), i);
        }
    }
    ::close(ep);
}

void StationFarm::receiveBatch(int fd, long station) {
    constexpr size_t kBatch = 64;
    static thread_local std::array<std::array<uint8_t, 2048>, kBatch> buffers;
    static thread_local std::array<std::array<char, 128>, kBatch> controls;
    std::array<iovec, kBatch> iovecs{};
    std::array<mmsghdr, kBatch> messages{};
    const size_t batch = station < 0 ? kBatch : 8;
    for (size_t i = 0; i < batch; ++i) {
        iovecs[i] = {buffers[i].data(), buffers[i].size()};
        messages[i] = {};
        messages[i].msg_hdr.msg_iov = &iovecs[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_control = controls[i].data();
        messages[i].msg_hdr.msg_controllen = controls[i].size();
    }
    const int n = ::recvmmsg(fd, messages.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
    for (int m = 0; m < n; ++m) {
        uint32_t destination = 0;
        std::chrono::nanoseconds when{};
        for (cmsghdr* c = CMSG_FIRSTHDR(&messages[m].msg_hdr); c; c = CMSG_NXTHDR(&messages[m].msg_hdr, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                in_pktinfo info;
                std::memcpy(&info, CMSG_DATA(c), sizeof info);
                destination = ntohl(info.ipi_addr.s_addr);
            } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec ts;
                std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                when = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
            }
        }
        size_t index;
        if (station >= 0) {
            index = static_cast<size_t>(station);
        } else {
            const auto it = byAddress_.find(destination);
            if (it == byAddress_.end()) {
                ++strays_;
                continue;
            }
            index = it->second;
        }
        handle({buffers[m].data(), messages[m].msg_len}, index, when);
    }
}

void StationFarm::handle(std::span<uint8_t> packet, size_t i, std::chrono::nanoseconds when) {
    const auto header = RtpPacket::parse(packet);
    if (!header) {
        ++strays_;
        return;
    }
    Counters& c = counters_[i];
    ++c.received;
    c.ssrc = header->ssrc();

    const uint16_t seq = header->sequence();
    if (highest_[i]) {
        const auto delta = static_cast<int16_t>(static_cast<uint16_t>(seq - *highest_[i]));
        if (delta > 0) {
            c.missing += static_cast<uint64_t>(delta - 1);
            highest_[i] = seq;
        } else {
            ++c.outOfOrder;
        }
    } else {
        highest_[i] = seq;
    }
    if (lastArrival_[i].count() != 0 && when.count() != 0) {
        const auto interval = when - lastArrival_[i];
        jitter_.record(interval > frame_ ? interval - frame_ : frame_ - interval);
    }
    lastArrival_[i] = when;

    if (auto& srtp = sessions_[i]) {
        size_t length = packet.size();
        (unprotectRtpFollowingSender(*srtp, packet, length, extensionId_) == SrtpResult::ok ? c.authenticated
                                                                                            : c.authFailures)++;
    }
}

}  // namespace loa
