#include "JitterBuffer.hpp"

namespace loa {

JitterBuffer::JitterBuffer(size_t capacity) : slots_(capacity) {}

uint64_t JitterBuffer::unwrap(uint16_t sequence) const {
    // The extended sequence number closest to the highest seen (RFC 3550 A.1 in spirit).
    const uint64_t base = highest_ & ~uint64_t{0xffff};
    uint64_t candidate = base | sequence;
    if (candidate + 0x8000 < highest_)
        candidate += 0x10000;
    else if (candidate > highest_ + 0x8000 && candidate >= 0x10000)
        candidate -= 0x10000;
    return candidate;
}

JitterBuffer::Insert JitterBuffer::insert(uint16_t sequence, std::span<const uint8_t> payload, uint8_t tag) {
    Insert result = Insert::accepted;
    uint64_t ext;
    if (!started_) {
        ext = uint64_t{0x10000} | sequence;  // start one cycle up so early wrap-back stays positive
        next_ = ext;
        highest_ = ext;
        started_ = true;
    } else {
        ext = unwrap(sequence);
        const bool farBehind = ext + slots_.size() < next_;
        if (ext < next_ && !farBehind) return Insert::late;
        if (farBehind || ext >= next_ + slots_.size()) {
            // Too far ahead to hold, or further behind than any late packet: a new stream (the
            // sender restarted). Start over here.
            reset();
            ext = uint64_t{0x10000} | sequence;
            next_ = ext;
            highest_ = ext;
            started_ = true;
            result = Insert::restarted;
        }
    }
    Slot& slot = slots_[ext % slots_.size()];
    if (slot.present && slot.sequence == ext) return Insert::duplicate;
    slot.present = true;
    slot.sequence = ext;
    slot.tag = tag;
    slot.payload.assign(payload.begin(), payload.end());
    if (ext > highest_) highest_ = ext;
    return result;
}

std::optional<std::vector<uint8_t>> JitterBuffer::popNext() {
    if (!started_) return std::nullopt;
    Slot& slot = slots_[next_ % slots_.size()];
    std::vector<uint8_t> out;
    if (slot.present && slot.sequence == next_) {
        out.swap(slot.payload);
        slot.present = false;
    }
    ++next_;
    if (next_ > highest_ + 1) highest_ = next_ - 1;
    return out;
}

const std::vector<uint8_t>* JitterBuffer::peekNext() const {
    if (!started_) return nullptr;
    const Slot& slot = slots_[next_ % slots_.size()];
    return slot.present && slot.sequence == next_ ? &slot.payload : nullptr;
}

std::optional<uint8_t> JitterBuffer::peekNextTag() const {
    if (!started_) return std::nullopt;
    const Slot& slot = slots_[next_ % slots_.size()];
    if (slot.present && slot.sequence == next_) return slot.tag;
    return std::nullopt;
}

size_t JitterBuffer::depth() const {
    if (!started_ || highest_ < next_) return 0;
    return static_cast<size_t>(highest_ - next_ + 1);
}

}  // namespace loa
