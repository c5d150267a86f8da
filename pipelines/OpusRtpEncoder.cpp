#include "OpusRtpEncoder.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <cstring>
#include <string>

#include "common/Error.hpp"
#include "rtp/RtpPacket.hpp"

namespace loa {
namespace {
const char* audioType(OpusApplication a) {
    switch (a) {
        case OpusApplication::voip:
            return "voice";
        case OpusApplication::lowdelay:
            return "restricted-lowdelay";
        case OpusApplication::audio:
            break;
    }
    return "generic";
}

std::string describe(const ProgrammeSettings& s) {
    const auto& e = s.encoder;
    return "appsrc name=src format=time is-live=false block=false "
           "caps=audio/x-raw,format=F32LE,layout=interleaved,rate=48000,channels=" +
           std::to_string(e.channels) +
           " ! audioconvert dithering=none ! opusenc bitrate=" + std::to_string(e.bitrate) +
           " complexity=" + std::to_string(e.complexity) + " frame-size=" + std::to_string(e.frameMs) +
           " audio-type=" + audioType(e.application) + " ! rtpopuspay pt=" + std::to_string(s.payloadType) +
           " mtu=1400"
           " ! appsink name=sink sync=false max-buffers=64 drop=false";
}
}  // namespace

OpusRtpEncoder::OpusRtpEncoder(const ProgrammeSettings& settings)
    : pipeline_(describe(settings)),
      appsrc_(pipeline_.element("src")),
      appsink_(pipeline_.element("sink")),
      channels_(settings.encoder.channels),
      samplesPerFrame_(settings.encoder.samplesPerFrame()) {
    pipeline_.play();
}

OpusRtpEncoder::~OpusRtpEncoder() {
    gst_app_src_end_of_stream(GST_APP_SRC(appsrc_));
}

void OpusRtpEncoder::push(std::span<const float> pcm) {
    const size_t bytes = pcm.size() * sizeof(float);
    GstBuffer* buffer = gst_buffer_new_allocate(nullptr, bytes, nullptr);
    gst_buffer_fill(buffer, 0, pcm.data(), bytes);
    const auto duration = gst_util_uint64_scale_int(static_cast<guint64>(samplesPerFrame_), GST_SECOND, 48000);
    GST_BUFFER_PTS(buffer) = pushed_ * duration;
    GST_BUFFER_DURATION(buffer) = duration;
    ++pushed_;
    gst_app_src_push_buffer(GST_APP_SRC(appsrc_), buffer);  // takes ownership
}

void OpusRtpEncoder::pull(std::vector<std::vector<uint8_t>>& out, int waitMs) {
    GstClockTime wait = static_cast<GstClockTime>(waitMs) * GST_MSECOND;
    while (true) {
        gst::SamplePtr sample(gst_app_sink_try_pull_sample(GST_APP_SINK(appsink_), wait));
        if (!sample) {
            if (error_.empty()) error_ = pipeline_.takeError();
            return;
        }
        wait = 0;
        GstBuffer* buffer = gst_sample_get_buffer(sample.get());
        GstMapInfo map;
        if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ)) continue;
        if (auto rtp = RtpPacket::parse({map.data, map.size}); rtp && !rtp->payload().empty()) {
            out.emplace_back(rtp->payload().begin(), rtp->payload().end());
        } else {
            ++malformed_;
        }
        gst_buffer_unmap(buffer, &map);
    }
}

}  // namespace loa
