/** The origin document's request examples, exactly as published, for tests of several vendors. */
const originImageUrl =
  'https://h2.inkwai.com/bs2/upload-ylab-stunt/se/ai_portal_queue_mmu_image_upscale_aiweb/3214b798-e1b4-4b00-b7af-72b5b0417420_raw_image_0.jpg';

export const originJimengExample = {
  model: 'jimeng_vgfm_t2v_l20',
  prompt: '一个穿着宇航服的宇航员在月球上行走',
  image: originImageUrl,
  metadata: {
    req_key: 'jimeng_vgfm_i2v_l20',
    image_urls: [originImageUrl],
    aspect_ratio: '16:9',
  },
};
