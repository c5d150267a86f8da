#include "ingest/RtpIngest.hpp"

#include <pthread.h>

#include "common/Error.hpp"
#include "common/Log.hpp"
#include "rtp/PriorityLevel.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"

namespace loa {
namespace {
constexpr std::string_view kTag = "ingest";
/// Packets held for the programme clock at most (10 s of 20 ms frames).
constexpr size_t kQueueLimit = 500;
}  // namespace

RtpIngest::RtpIngest(std::string name, const IngestSettings& settings, uint8_t extensionId)
    : name_(std::move(name)), settings_(settings), extensionId_(extensionId), socket_(settings.listen) {
    socket_.setBufferSizes(64 << 10, 1 << 20);
    if (!settings.key && !settings.allowPlainRtp) {
        throw Error(name_ + ": no SRTP key, and plain RTP is not allowed (allow_plain_rtp)");
    }
    if (settings.key) {
        initLibSrtp();
        srtp_.emplace(SrtpSession::Direction::inbound, settings.profile, *settings.key);
    }
    queue_.reserve(kQueueLimit);
}

RtpIngest::~RtpIngest() {
    stop();
}

void RtpIngest::start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "loa-ingest");
}

void RtpIngest::stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
}

void RtpIngest::drain(std::vector<IngestPacket>& out) {
    std::lock_guard lock(mutex_);
    for (auto& p : queue_) {
        out.push_back(std::move(p));
    }
    queue_.clear();
}

void RtpIngest::run() {
    uint8_t buffer[kMaxDatagram];
    while (running_) {
        socket_.receiveWaiting(buffer, 100, 64, [&](std::span<uint8_t> datagram, const SocketAddress&) {
            handle(datagram, std::chrono::steady_clock::now());
        });
    }
}

void RtpIngest::handle(std::span<uint8_t> datagram, std::chrono::steady_clock::time_point arrival) {
    if (looksLikeRtcp(datagram) || !RtpPacket::parse(datagram)) {
        ++counters_.malformed;  // sender reports from the studio carry nothing we need
        return;
    }
    size_t length = datagram.size();
    if (srtp_) {
        const SrtpResult result = unprotectRtpFollowingSender(*srtp_, datagram, length, extensionId_);
        if (result == SrtpResult::replay) {
            ++counters_.replays;
            return;
        }
        if (result != SrtpResult::ok) {
            ++counters_.authFailures;
            static log::RateLimit limit;
            uint64_t suppressed = 0;
            if (limit.allow(suppressed)) {
                LOA_LOG(warn, kTag) << name_ << ": packet refused: " << toString(result) << " (" << suppressed
                                    << " more not shown)";
            }
            return;
        }
    }
    const auto rtp = RtpPacket::parse(datagram.first(length));
    if (!rtp || rtp->payloadType() != settings_.payloadType || rtp->payload().empty()) {
        ++counters_.malformed;
        return;
    }
    const uint32_t ssrc = rtp->ssrc();
    if (lockedSsrc_ != ssrc) {
        const auto silentFor = arrival - lastFromLocked_;
        if (lockedSsrc_ && silentFor < std::chrono::milliseconds(settings_.ssrcTakeoverMs)) {
            ++counters_.foreignSsrc;
            return;
        }
        if (lockedSsrc_) {
            ++counters_.ssrcChanges;
            LOA_LOG(warn, kTag) << name_ << ": SSRC " << ssrc << " takes over from " << *lockedSsrc_ << ", silent for "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(silentFor).count() << " ms";
        } else {
            LOA_LOG(info, kTag) << name_ << ": locked to SSRC " << ssrc;
        }
        lockedSsrc_ = ssrc;
    }
    lastFromLocked_ = arrival;
    ++counters_.received;
    counters_.bytes += length;

    IngestPacket packet;
    packet.arrival = arrival;
    packet.ssrc = ssrc;
    packet.sequence = rtp->sequence();
    packet.timestamp = rtp->timestamp();
    if (auto ext = rtp->oneByteExtension(extensionId_)) {
        if (auto info = StreamInfo::parse(*ext); info && isValidPriority(info->priority))
            packet.priority = info->priority;
    }
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kQueueLimit) {
        ++counters_.queueOverflows;
        return;
    }
    packet.payload.assign(rtp->payload().begin(), rtp->payload().end());
    queue_.push_back(std::move(packet));
}

}  // namespace loa
