#include "Programme.hpp"

#include <algorithm>

#include "common/Log.hpp"

namespace loa {

Programme::Programme(const ProgrammeSettings& settings)
    : settings_(settings),
      source_(settings.id, settings.playlist, settings.encoder.channels),
      pcm_(static_cast<size_t>(settings.encoder.samplesPerFrame() * settings.encoder.channels)) {}

void Programme::start() {
    encoder_ = std::make_unique<OpusRtpEncoder>(settings_);
    source_.start();
}

void Programme::stop() {
    source_.stop();
    encoder_.reset();
}

void Programme::tick(std::vector<FramePtr>& out, std::chrono::steady_clock::time_point deadline) {
    const size_t got = source_.read(pcm_);
    std::fill(pcm_.begin() + static_cast<std::ptrdiff_t>(got), pcm_.end(), 0.0f);
    const auto now = std::chrono::steady_clock::now();
    if (!encoder_->error().empty()) {
        // A broken encoder is rebuilt (at most once a second); the stations' streams stay
        // continuous because their headers come from the fan-out, not from the encoder.
        if (now < encoderRetry_) return;
        LOA_LOG(error, "programme") << settings_.id << ": encoder failed (" << encoder_->error() << "); restarting it";
        encoderRetry_ = now + std::chrono::seconds(1);
        ++encoderRestarts_;
        try {
            encoder_ = std::make_unique<OpusRtpEncoder>(settings_);
        } catch (const std::exception& e) {
            LOA_LOG(error, "programme") << settings_.id << ": cannot restart encoder: " << e.what();
            return;
        }
    }
    encoder_->push(pcm_);
    payloads_.clear();
    encoder_->pull(payloads_, 5);
    for (auto& payload : payloads_) {
        auto frame = std::make_shared<EncodedFrame>();
        frame->payload = std::move(payload);
        frame->timestamp = timestamp_;
        frame->index = framesOut_++;
        frame->priority = PriorityLevel::scheduled;
        frame->ready = now;
        frame->due = deadline;
        timestamp_ += static_cast<uint32_t>(settings_.encoder.samplesPerFrame());
        out.push_back(std::move(frame));
    }
}

}  // namespace loa
