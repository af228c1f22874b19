// The workstation's ImGui fragments: the vertex colour times the bound
// texture (the font atlas, whose white texels carry the glyphs' alpha, or
// an app image such as a spectrogram).
#version 450

layout(set = 0, binding = 0) uniform sampler2D ui_texture;

layout(location = 0) in vec4 frag_color;
layout(location = 1) in vec2 frag_uv;

layout(location = 0) out vec4 out_color;

void main() {
    out_color = frag_color * texture(ui_texture, frag_uv);
}
