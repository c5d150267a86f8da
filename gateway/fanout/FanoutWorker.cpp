#include "fanout/FanoutWorker.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include "common/Clock.hpp"
#include "common/Realtime.hpp"
#include "crypto/Hkdf.hpp"
#include "rtp/RtpPacket.hpp"

namespace loa {
namespace {
constexpr std::string_view kFanoutWorkerTag = "fanout";
using Clock = std::chrono::steady_clock;

}  // namespace

std::unique_ptr<Destination> makeDestination(std::string id, size_t programme, const SocketAddress& address, int fd,
                                             uint32_t ssrc, SrtpProfile profile, std::span<const uint8_t> key,
                                             bool allowFastPath) {
    uint32_t offset = 0;
    secureRandom({reinterpret_cast<uint8_t*>(&offset), sizeof offset});
    return std::make_unique<Destination>(Destination{.programme = programme,
                                                     .fd = fd,
                                                     .ssrc = ssrc,
                                                     .timestampOffset = offset,
                                                     .multicast = address.isMulticast(),
                                                     .counters = {},
                                                     .srtp = SrtpSender(profile, key, ssrc, allowFastPath),
                                                     .address = address,
                                                     .id = std::move(id)});
}

FanoutWorker::FanoutWorker(unsigned index, uint8_t extensionId, FanoutPacing pacing,
                           const IndexReservation& reservation)
    : index_(index),
      extensionId_(extensionId),
      pacing_(pacing),
      reservation_(reservation),
      slots_(std::max(1u, pacing.slots)),
      highestRoc_(reservation.start()) {
    jobs_.reserve(FrameQueue::kCapacity);
}

FanoutWorker::~FanoutWorker() {
    stop();
}

void FanoutWorker::start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
    const std::string name = "loa-fanout-" + std::to_string(index_);
    pthread_setname_np(thread_.native_handle(), name.c_str());
}

void FanoutWorker::stop() {
    running_ = false;
    wake();
    if (thread_.joinable()) thread_.join();
}

clockid_t FanoutWorker::cpuClock() const {
    clockid_t id = CLOCK_THREAD_CPUTIME_ID;
    pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &id);
    return id;
}

void FanoutWorker::wake() {
    wakeups_.fetch_add(1, std::memory_order_release);
    wakeups_.notify_one();
}

void FanoutWorker::post(size_t programme, const FramePtr& frame, uint8_t payloadType) {
    if (!frames_.push({programme, payloadType, frame})) {
        stats_.droppedFrames.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    wake();
}

void FanoutWorker::enqueue(Command command) {
    {
        std::lock_guard lock(commandsMutex_);
        commands_.push_back(std::move(command));
        commandsPending_ = true;
    }
    wake();
}

void FanoutWorker::add(std::unique_ptr<Destination> destination) {
    enqueue(Add{std::move(destination)});
}

void FanoutWorker::follow(const std::string& id, size_t programme) {
    enqueue(Follow{id, programme});
}

void FanoutWorker::moveTo(const std::string& id, const SocketAddress& address) {
    enqueue(Move{id, address});
}

void FanoutWorker::remove(const std::string& id) {
    enqueue(Remove{id});
}

std::vector<DestinationStatus> FanoutWorker::snapshot() {
    auto promise = std::make_shared<std::promise<std::vector<DestinationStatus>>>();
    auto result = promise->get_future();
    enqueue(Snapshot{[promise](std::vector<DestinationStatus> s) { promise->set_value(std::move(s)); }});
    if (!running_ || result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        // Not running: the caller owns the only other reference to the worker's state.
        if (!running_) applyCommands();
        if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return {};
    }
    return result.get();
}

void FanoutWorker::applyCommands() {
    std::vector<Command> commands;
    {
        std::lock_guard lock(commandsMutex_);
        commands.swap(commands_);
        commandsPending_ = false;
    }
    for (auto& command : commands) {
        std::visit(
            [this](auto& c) {
                using T = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<T, Add>) {
                    addNow(std::move(c.destination));
                } else if constexpr (std::is_same_v<T, Remove>) {
                    removeNow(c.id);
                } else if constexpr (std::is_same_v<T, Move>) {
                    if (const auto it = where_.find(c.id); it != where_.end())
                        slots_[it->second.first][it->second.second]->address = c.address;
                } else if constexpr (std::is_same_v<T, Follow>) {
                    if (const auto it = where_.find(c.id); it != where_.end()) {
                        auto& d = *slots_[it->second.first][it->second.second];
                        if (d.programme != c.programme) {
                            d.programme = c.programme;
                            d.rebase = true;
                        }
                    }
                } else {
                    std::vector<DestinationStatus> out;
                    out.reserve(where_.size());
                    for (const auto& slot : slots_) {
                        for (const auto& d : slot) {
                            out.push_back(
                                {d->id, index_, d->slot, d->multicast, d->address, d->ssrc, d->nextIndex, d->counters});
                        }
                    }
                    c.answer(std::move(out));
                }
            },
            command);
    }
}

void FanoutWorker::addNow(std::unique_ptr<Destination> d) {
    removeNow(d->id);  // adding an id again replaces it
    // A destination new to this run starts at the run's first rollover counter (above every
    // earlier run's); one removed and added again starts above the last it used, so it never
    // repeats a packet index under its key.
    const auto last = lastRoc_.find(d->id);
    const uint32_t roc = last == lastRoc_.end() ? reservation_.start() : last->second + 1;
    d->nextIndex = uint64_t{roc} << 16;
    d->srtp.startAt(roc);
    if (roc > highestRoc_.load(std::memory_order_relaxed)) highestRoc_.store(roc, std::memory_order_relaxed);
    // The first slot not yet holding a full batch, else the least loaded; a destination keeps
    // its slot, hence its timing, for good.
    const auto bySize = [](const auto& a, const auto& b) { return a.size() < b.size(); };
    auto chosen =
        std::find_if(slots_.begin(), slots_.end(), [&](const auto& s) { return s.size() < pacing_.fillPerSlot; });
    if (chosen == slots_.end()) chosen = std::min_element(slots_.begin(), slots_.end(), bySize);
    const auto slot = static_cast<unsigned>(chosen - slots_.begin());
    d->slot = slot;
    where_[d->id] = {slot, slots_[slot].size()};
    slots_[slot].push_back(std::move(d));
    stats_.destinations.store(where_.size(), std::memory_order_relaxed);
}

void FanoutWorker::removeNow(const std::string& id) {
    const auto it = where_.find(id);
    if (it == where_.end()) return;
    auto [slot, position] = it->second;
    auto& list = slots_[slot];
    lastRoc_[id] = static_cast<uint32_t>(list[position]->nextIndex >> 16);
    if (position + 1 != list.size()) {
        list[position] = std::move(list.back());
        where_[list[position]->id].second = position;
    }
    list.pop_back();
    where_.erase(it);
    stats_.destinations.store(where_.size(), std::memory_order_relaxed);
}

void FanoutWorker::takeFrames() {
    while (auto item = frames_.pop()) {
        // A command given before this frame was published (a station added, or switched to
        // another programme) applies to it: the check at the top of the loop may have come
        // before the command, and the frame after it.
        if (commandsPending_.load(std::memory_order_acquire)) applyCommands();
        // A programme's next frame before its previous one is all out: finish that one now.
        for (auto& job : jobs_) {
            if (job.item.programme == item->programme && job.nextSlot < slots_.size()) {
                while (job.nextSlot < slots_.size())
                    sendSlot(job, job.nextSlot++);
                stats_.lateFrames.fetch_add(1, std::memory_order_relaxed);
                stats_.spread.record(Clock::now() - job.ready);
            }
        }
        std::erase_if(jobs_, [&](const Job& j) { return j.nextSlot >= slots_.size(); });
        const auto& f = *item->frame;
        const auto ready = f.ready.time_since_epoch().count() ? f.ready : Clock::now();
        const auto anchor = f.due.time_since_epoch().count() ? f.due : ready;
        jobs_.push_back({std::move(*item), ready, anchor, 0});
        stats_.frames.fetch_add(1, std::memory_order_relaxed);
    }
}

Clock::time_point FanoutWorker::slotTime(const Job& job, unsigned slot) const {
    return job.anchor + pacing_.window * slot / slots_.size();
}

Clock::time_point FanoutWorker::sendDueSlots() {
    auto next = Clock::time_point::max();
    const auto now = Clock::now();
    for (auto& job : jobs_) {
        // An empty slot costs no wake-up: it is passed over as soon as it comes up.
        while (job.nextSlot < slots_.size() && (slots_[job.nextSlot].empty() || slotTime(job, job.nextSlot) <= now)) {
            sendSlot(job, job.nextSlot++);
        }
        if (job.nextSlot < slots_.size()) {
            next = std::min(next, slotTime(job, job.nextSlot));
        } else {
            stats_.spread.record(Clock::now() - job.ready);
        }
    }
    std::erase_if(jobs_, [&](const Job& j) { return j.nextSlot >= slots_.size(); });
    return next;
}

void FanoutWorker::run() {
    tid_.store(static_cast<pid_t>(::gettid()), std::memory_order_release);
    if (pacing_.realtimePriority > 0) {
        if (const auto error = makeThisThreadRealtime(pacing_.realtimePriority); error.empty()) {
            stats_.realtime.store(true, std::memory_order_relaxed);
        } else {
            LOA_LOG(warn, kFanoutWorkerTag) << "worker " << index_ << ": no real-time priority " << pacing_.realtimePriority
                                << " (" << error << "; allow it with LimitRTPRIO=): sending at normal priority";
        }
    }
    while (running_) {
        const uint32_t seen = wakeups_.load(std::memory_order_acquire);
        if (commandsPending_.load(std::memory_order_acquire)) applyCommands();
        takeFrames();
        const auto next = sendDueSlots();
        if (!running_) break;
        if (next == Clock::time_point::max()) {
            wakeups_.wait(seen, std::memory_order_acquire);  // idle until a frame or a command
        } else {
            // Sleep to the next slot; a new frame or command meanwhile waits at most one slot.
            sleepUntil(next);
        }
    }
    applyCommands();  // answer pending snapshots
}

void FanoutWorker::sendSlot(Job& job, unsigned slot) {
    // Destinations are separate allocations: fetch the next ones' lines while this one is
    // protected, so the walk does not wait on memory once per destination.
    constexpr size_t kAhead = 4;
    const auto& list = slots_[slot];
    const size_t n = list.size();
    const auto prefetch = [&](size_t i) {
        const auto* bytes = reinterpret_cast<const char*>(list[i].get());
        for (size_t at = 0; at < kDestinationHotBytes; at += 64)
            __builtin_prefetch(bytes + at, 1);
    };
    for (size_t i = 0; i < std::min(n, kAhead); ++i)
        prefetch(i);
    for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) prefetch(i + kAhead);
        Destination& d = *list[i];
        if (d.programme == job.item.programme) queuePacket(d, job);
    }
    flush();
}

void FanoutWorker::queuePacket(Destination& d, const Job& job) {
    const EncodedFrame& frame = *job.item.frame;
    const auto roc = static_cast<uint32_t>(d.nextIndex >> 16);
    if (roc >= reservation_.limit()) {
        ++d.counters.indexLimit;  // never reuse an index: hold back until the reservation grows
        return;
    }
    RtpHeader header;
    header.payloadType = job.item.payloadType;
    header.extensionId = extensionId_;
    header.info.priority = static_cast<uint8_t>(frame.priority);
    header.info.rolloverCounter = roc;
    header.info.alert = frame.alert;
    header.ssrc = d.ssrc;
    header.sequence = static_cast<uint16_t>(d.nextIndex);
    if (d.rebase && d.sentFirst) {
        // Another programme's media clock from here: continue from the last timestamp sent, by
        // the time between the two frames (at least one sample).
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::microseconds>(job.anchor - d.lastFrameTime).count();
        const auto advance = static_cast<uint32_t>(std::max<int64_t>(1, elapsed * 48 / 1000));
        d.timestampOffset = d.lastTimestamp + advance - frame.timestamp;
    }
    d.rebase = false;
    header.timestamp = d.timestampOffset + frame.timestamp;
    d.lastTimestamp = header.timestamp;
    d.lastFrameTime = job.anchor;
    header.marker = !d.sentFirst;
    const size_t headerSize = rtpHeaderSize(header);
    if (headerSize + frame.payload.size() + 16 > kMaxPacket) return;  // the encoder never makes these (mtu 1400)

    if (d.fd != batchFd_ && queued_ > 0) flush();
    batchFd_ = d.fd;
    auto& buffer = buffers_[queued_];
    writeRtpHeader(header, buffer);
    std::memcpy(buffer.data() + headerSize, frame.payload.data(), frame.payload.size());
    size_t length = headerSize + frame.payload.size();
    length = d.srtp.protect(buffer, length, d.nextIndex);
    if (length == 0) {
        ++d.counters.protectErrors;
        return;
    }
    // The index is spent once protected: the stream stays contiguous even if the send below
    // fails, which a receiver then sees as loss, not as a jump.
    ++d.nextIndex;
    d.sentFirst = true;
    if (roc > highestRoc_.load(std::memory_order_relaxed)) highestRoc_.store(roc, std::memory_order_relaxed);

    iovecs_[queued_] = {buffer.data(), length};
    messages_[queued_] = {};
    messages_[queued_].msg_hdr.msg_name = const_cast<sockaddr*>(d.address.sockaddrPtr());
    messages_[queued_].msg_hdr.msg_namelen = d.address.length();
    messages_[queued_].msg_hdr.msg_iov = &iovecs_[queued_];
    messages_[queued_].msg_hdr.msg_iovlen = 1;
    owners_[queued_] = &d;
    if (++queued_ == kBatch) flush();
}

void FanoutWorker::flush() {
    size_t done = 0;
    uint64_t packets = 0, bytes = 0;
    while (done < queued_) {
        const int sent =
            ::sendmmsg(batchFd_, messages_.data() + done, static_cast<unsigned>(queued_ - done), MSG_DONTWAIT);
        if (sent > 0) {
            for (size_t i = done; i < done + static_cast<size_t>(sent); ++i) {
                ++owners_[i]->counters.packets;
                owners_[i]->counters.bytes += iovecs_[i].iov_len;
                bytes += iovecs_[i].iov_len;
            }
            packets += static_cast<uint64_t>(sent);
            done += static_cast<size_t>(sent);
            continue;
        }
        // The message at `done` could not be sent: count it against its destination, go on.
        const int err = errno;
        Destination& d = *owners_[done];
        if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
            ++d.counters.wouldBlock;
            stats_.wouldBlock.fetch_add(1, std::memory_order_relaxed);
        } else {
            ++d.counters.sendErrors;
            stats_.sendErrors.fetch_add(1, std::memory_order_relaxed);
            uint64_t suppressed = 0;
            if (errorLog_.allow(suppressed)) {
                LOA_LOG(warn, kFanoutWorkerTag) << "send to " << d.id << " at " << d.address.toString()
                                    << " failed: " << std::strerror(err) << " (" << suppressed << " suppressed)";
            }
        }
        ++done;
    }
    stats_.packets.fetch_add(packets, std::memory_order_relaxed);
    stats_.bytes.fetch_add(bytes, std::memory_order_relaxed);
    queued_ = 0;
}

}  // namespace loa
