#include "AudioOutput.hpp"

#include <gst/app/gstappsrc.h>

#include <string>

#include "GstRuntime.hpp"

namespace loa {

struct AudioOutput::Impl {
    gst::Pipeline pipeline;
    GstElement* src;
    explicit Impl(const std::string& d) : pipeline(d), src(pipeline.element("src")) {}
};

AudioOutput::AudioOutput(int sampleRate, int channels)
    : impl_(std::make_unique<Impl>("appsrc name=src is-live=true format=time do-timestamp=true "
                                   "caps=audio/x-raw,format=F32LE,layout=interleaved,rate=" +
                                   std::to_string(sampleRate) + ",channels=" + std::to_string(channels) +
                                   " ! audioconvert ! audioresample ! autoaudiosink")) {
    impl_->pipeline.play();
}

AudioOutput::~AudioOutput() {
    gst_app_src_end_of_stream(GST_APP_SRC(impl_->src));
}

void AudioOutput::write(std::span<const float> samples) {
    const size_t bytes = samples.size_bytes();
    GstBuffer* buffer = gst_buffer_new_allocate(nullptr, bytes, nullptr);
    gst_buffer_fill(buffer, 0, samples.data(), bytes);
    gst_app_src_push_buffer(GST_APP_SRC(impl_->src), buffer);
}

}  // namespace loa
