#include "fanout/Fanout.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "crypto/Hkdf.hpp"
#include "rtp/RtpPacket.hpp"

namespace loa {
namespace {
constexpr std::string_view kTag = "fanout";

template <class T>
T randomValue() {
    T v{};
    secureRandom({reinterpret_cast<uint8_t*>(&v), sizeof v});
    return v;
}
}  // namespace

Fanout::Fanout(UdpSocket& socket, uint8_t priorityExtensionId, const RolloverReservation& reservation)
    : socket_(socket), extensionId_(priorityExtensionId), reservation_(reservation), highestRoc_(reservation.start()) {}

std::unique_ptr<Destination> Fanout::makeDestination(std::string stationId, size_t programme,
                                                     const SocketAddress& address, uint32_t ssrc, SrtpSession srtp) {
    return std::make_unique<Destination>(Destination{
        std::move(stationId), programme, address, std::move(srtp), ssrc, 0, randomValue<uint32_t>(), false, {}});
}

void Fanout::add(std::unique_ptr<Destination> destination) {
    const uint32_t roc = anySent_ ? highestRoc_.load(std::memory_order_relaxed) + 1 : reservation_.start();
    destination->nextIndex = uint64_t{roc} << 16;
    if (destination->srtp.setRolloverCounter(destination->ssrc, roc) != SrtpResult::ok) {
        LOA_LOG(error, kTag) << "station " << destination->stationId << ": cannot set its SRTP rollover counter";
    }
    if (roc > highestRoc_.load(std::memory_order_relaxed)) highestRoc_.store(roc, std::memory_order_relaxed);
    destinations_.push_back(std::move(destination));
}

bool Fanout::remove(std::string_view stationId) {
    const auto it = std::find_if(destinations_.begin(), destinations_.end(),
                                 [&](const auto& d) { return d->stationId == stationId; });
    if (it == destinations_.end()) return false;
    destinations_.erase(it);
    return true;
}

const Destination* Fanout::find(std::string_view stationId) const {
    const auto it = std::find_if(destinations_.begin(), destinations_.end(),
                                 [&](const auto& d) { return d->stationId == stationId; });
    return it == destinations_.end() ? nullptr : it->get();
}

void Fanout::send(size_t programme, const EncodedFrame& frame, uint8_t payloadType) {
    RtpHeader header;
    header.payloadType = payloadType;
    header.extensionId = extensionId_;
    header.info.priority = static_cast<uint8_t>(frame.priority);
    const uint32_t rocLimit = reservation_.limit();
    uint32_t highestRoc = highestRoc_.load(std::memory_order_relaxed);
    const size_t headerSize = rtpHeaderSize(header);
    if (headerSize + frame.payload.size() + 16 > kMaxPacket) return;  // encoder never makes these (mtu 1400)

    for (auto& dp : destinations_) {
        Destination& d = *dp;
        if (d.programme != programme) continue;
        const auto roc = static_cast<uint32_t>(d.nextIndex >> 16);
        if (roc >= rocLimit) {
            ++d.counters.indexLimit;  // never reuse an index: hold back until the reservation grows
            continue;
        }
        if (roc > highestRoc) highestRoc = roc;
        header.ssrc = d.ssrc;
        header.sequence = static_cast<uint16_t>(d.nextIndex);
        header.info.rolloverCounter = roc;
        header.timestamp = d.timestampOffset + frame.timestamp;
        header.marker = !d.sentFirst;

        auto& buffer = buffers_[queued_];
        writeRtpHeader(header, buffer);
        std::memcpy(buffer.data() + headerSize, frame.payload.data(), frame.payload.size());
        size_t length = headerSize + frame.payload.size();
        if (d.srtp.protectRtp(buffer, length) != SrtpResult::ok) {
            ++d.counters.protectErrors;
            continue;
        }
        // The sequence number is spent once protected: the stream stays contiguous even if the
        // send below fails, which a receiver then sees as loss, not as a jump.
        ++d.nextIndex;
        d.sentFirst = true;
        anySent_ = true;

        iovecs_[queued_] = {buffer.data(), length};
        messages_[queued_] = {};
        messages_[queued_].msg_hdr.msg_name = const_cast<sockaddr*>(d.address.sockaddrPtr());
        messages_[queued_].msg_hdr.msg_namelen = d.address.length();
        messages_[queued_].msg_hdr.msg_iov = &iovecs_[queued_];
        messages_[queued_].msg_hdr.msg_iovlen = 1;
        owners_[queued_] = &d;
        if (++queued_ == kBatch) flush();
    }
    flush();
    highestRoc_.store(highestRoc, std::memory_order_relaxed);
}

void Fanout::flush() {
    size_t done = 0;
    while (done < queued_) {
        const int sent = socket_.sendBatch({messages_.data() + done, queued_ - done});
        if (sent > 0) {
            for (size_t i = done; i < done + static_cast<size_t>(sent); ++i) {
                ++owners_[i]->counters.packets;
                owners_[i]->counters.bytes += iovecs_[i].iov_len;
            }
            done += static_cast<size_t>(sent);
            continue;
        }
        // The message at `done` could not be sent: count it against its destination and go on.
        Destination& d = *owners_[done];
        if (sent == 0) {
            ++d.counters.wouldBlock;
        } else {
            ++d.counters.sendErrors;
            uint64_t suppressed = 0;
            if (errorLog_.allow(suppressed)) {
                LOA_LOG(warn, kTag) << "send to station " << d.stationId << " at " << d.address.toString()
                                    << " failed: " << std::strerror(-sent) << " (" << suppressed << " suppressed)";
            }
        }
        ++done;
    }
    queued_ = 0;
}

}  // namespace loa
