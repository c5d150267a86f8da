#include "AudioOutput.hpp"

#include <gst/app/gstappsrc.h>

#include <string>

#include "GstRuntime.hpp"
#include "common/Error.hpp"

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
                                   " ! audioconvert ! audioresample ! autoaudiosink name=out")) {
    impl_->pipeline.play();
    // autoaudiosink falls back to a fake sink when no device opens (no card, no sound server):
    // a receiver that would play to nobody says so instead of running silent.
    GstElement* out = impl_->pipeline.element("out");
    GObject* chosen = GST_IS_CHILD_PROXY(out) ? gst_child_proxy_get_child_by_index(GST_CHILD_PROXY(out), 0) : nullptr;
    std::string factory;
    if (chosen && GST_IS_ELEMENT(chosen)) {
        if (GstElementFactory* f = gst_element_get_factory(GST_ELEMENT(chosen))) factory = GST_OBJECT_NAME(f);
    }
    if (chosen) g_object_unref(chosen);
    if (factory.empty() || factory == "fakesink") {
        throw Error(
            "no audio output device could be opened (ALSA, PulseAudio or PipeWire): nothing would be "
            "heard; play without --play, or write --wav FILE");
    }
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
