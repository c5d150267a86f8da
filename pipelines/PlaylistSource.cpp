#include "PlaylistSource.hpp"

#include <gst/app/gstappsink.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <numeric>

#include "GstRuntime.hpp"
#include "common/Log.hpp"

namespace loa {
namespace {
constexpr std::string_view kPlaylistSourceTag = "playlist";
constexpr int kSampleRate = 48000;

/// Any file decodebin knows (the "src" element's location), as 48 kHz float PCM with `channels`,
/// pulled from the "sink" appsink as fast as it decodes.
std::string decoderDescription(int channels, int buffers) {
    return "filesrc name=src ! decodebin ! audioconvert ! audioresample ! "
           "audio/x-raw,format=F32LE,layout=interleaved,rate=" +
           std::to_string(kSampleRate) + ",channels=" + std::to_string(channels) +
           " ! appsink name=sink sync=false max-buffers=" + std::to_string(buffers) + " drop=false";
}

constexpr int kRingSeconds = 2;
}  // namespace

PlaylistSource::PlaylistSource(std::string programmeId, const PlaylistSettings& playlist, int channels)
    : programmeId_(std::move(programmeId)),
      playlist_(playlist),
      channels_(channels),
      ring_(static_cast<size_t>(kSampleRate * channels * kRingSeconds)),
      random_(std::random_device{}()) {
    order_.resize(playlist_.files.size());
    std::iota(order_.begin(), order_.end(), 0);
}

PlaylistSource::~PlaylistSource() {
    stop();
}

void PlaylistSource::start() {
    gst::ensureInitialised();
    running_ = true;
    thread_ = std::thread([this] { run(); });
}

void PlaylistSource::stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
}

size_t PlaylistSource::read(std::span<float> out) {
    const size_t n = ring_.read(out);
    if (n < out.size() && !finished_) counters_.underrunSamples += out.size() - n;
    return n;
}

const std::filesystem::path* PlaylistSource::nextFile() {
    if (position_ == order_.size()) {
        if (playlist_.mode == PlaylistMode::once) return nullptr;
        position_ = 0;
    }
    if (position_ == 0 && playlist_.mode == PlaylistMode::shuffle) std::shuffle(order_.begin(), order_.end(), random_);
    return &playlist_.files[order_[position_++]];
}

void PlaylistSource::run() {
    size_t failuresInARow = 0;
    while (running_) {
        const auto* file = nextFile();
        if (!file) {
            finished_ = true;
            // (debug: a scheduled entry says it finished itself, and an emergency's message repeats)
            LOA_LOG(debug, kPlaylistSourceTag) << programmeId_ << ": playlist finished";
            return;
        }
        if (decodeFile(*file)) {
            failuresInARow = 0;
            continue;
        }
        ++counters_.fileErrors;
        // Every file failing: back off rather than spin; the programme plays silence meanwhile.
        if (++failuresInARow >= playlist_.files.size()) {
            for (int i = 0; i < 20 && running_; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

bool PlaylistSource::decodeFile(const std::filesystem::path& file) {
    ++counters_.filesStarted;
    try {
        gst::Pipeline pipeline(decoderDescription(channels_, 8));
        g_object_set(pipeline.element("src"), "location", file.c_str(), nullptr);
        auto* sink = GST_APP_SINK(pipeline.element("sink"));
        pipeline.play();
        LOA_LOG(debug, kPlaylistSourceTag) << programmeId_ << ": playing " << file.string();

        while (running_) {
            gst::SamplePtr sample(gst_app_sink_try_pull_sample(sink, 100 * GST_MSECOND));
            if (!sample) {
                if (gst_app_sink_is_eos(sink)) return true;
                if (auto error = pipeline.takeError(); !error.empty()) {
                    LOA_LOG(warn, kPlaylistSourceTag) << programmeId_ << ": cannot decode " << file.string() << ": " << error;
                    return false;
                }
                continue;
            }
            GstBuffer* buffer = gst_sample_get_buffer(sample.get());
            GstMapInfo map;
            if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ)) continue;
            std::span<const float> pcm(reinterpret_cast<const float*>(map.data), map.size / sizeof(float));
            while (!pcm.empty() && running_) {
                const size_t written = ring_.write(pcm);
                pcm = pcm.subspan(written);
                if (!pcm.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            gst_buffer_unmap(buffer, &map);
        }
        return true;
    } catch (const std::exception& e) {
        LOA_LOG(warn, kPlaylistSourceTag) << programmeId_ << ": cannot play " << file.string() << ": " << e.what();
        return false;
    }
}

std::string audioFileProblem(const std::filesystem::path& file, std::chrono::milliseconds minimum,
                             std::chrono::milliseconds timeout) {
    try {
        gst::Pipeline pipeline(decoderDescription(1, 16));
        g_object_set(pipeline.element("src"), "location", file.c_str(), nullptr);
        auto* sink = GST_APP_SINK(pipeline.element("sink"));
        pipeline.play();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        uint64_t samples = 0;
        float peak = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            gst::SamplePtr sample(gst_app_sink_try_pull_sample(sink, 100 * GST_MSECOND));
            if (!sample) {
                if (auto error = pipeline.takeError(); !error.empty()) return "it does not decode: " + error;
                if (gst_app_sink_is_eos(sink)) break;
                continue;
            }
            GstBuffer* buffer = gst_sample_get_buffer(sample.get());
            GstMapInfo map;
            if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ)) continue;
            const std::span<const float> pcm(reinterpret_cast<const float*>(map.data), map.size / sizeof(float));
            samples += pcm.size();
            for (float x : pcm)
                peak = std::max(peak, std::abs(x));
            gst_buffer_unmap(buffer, &map);
        }
        if (!gst_app_sink_is_eos(sink)) return "it did not decode within " + std::to_string(timeout.count()) + " ms";
        const auto ms = static_cast<int64_t>(samples * 1000 / kSampleRate);
        if (ms < minimum.count())
            return "it holds " + std::to_string(ms) + " ms of audio, less than " + std::to_string(minimum.count()) + " ms";
        if (peak < 0.001f) return "it is silent";  // below -60 dBFS throughout
        return {};
    } catch (const std::exception& e) {
        return std::string("it does not decode: ") + e.what();
    }
}

}  // namespace loa
