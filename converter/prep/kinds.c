/* The model kinds of hb_eval_preprocess: one row per kind, read by the CLI and the docs. */
#include <string.h>

#include "hbc/prep.h"
#include "prep_err.h"

/* resize_short 219 for mobilenet: the model's 87.5% centre crop, 192 / 0.875 = 219.4. */
static const hbc_prep_kind kinds[] = {
    {"mobilenet", 219, 192, 192, 0, "mobilenet_v1_0.75_192.onnx (1x3x192x192 RGB)"},
    {"resnet18", 256, 224, 224, 0, "ImageNet ResNet-18 (1x3x224x224 RGB)"},
    {"yunet", 0, 320, 320, 1, "yunet_n_320_320.onnx (1x3x320x320 BGR)"},
    {"fastestdet", 0, 352, 352, 0, "fastestdet.onnx (1x3x352x352 RGB)"},
    {"cifar10", 0, 32, 32, 0, "cifar10_quick (1x3x32x32 RGB)"},
};

int hbc_prep_kind_count(void)
{
    return (int)(sizeof kinds / sizeof kinds[0]);
}

const hbc_prep_kind *hbc_prep_kind_at(int i)
{
    return i >= 0 && i < hbc_prep_kind_count() ? &kinds[i] : NULL;
}

const hbc_prep_kind *hbc_prep_kind_find(const char *name)
{
    for (int i = 0; name && i < hbc_prep_kind_count(); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

size_t hbc_prep_kind_size(const hbc_prep_kind *k)
{
    return 3 * (size_t)k->w * (size_t)k->h;
}

hbg_status hbc_prep_kind_apply(const hbc_prep_kind *k, const hbc_image *img, uint8_t *out,
                               char *err, size_t errlen)
{
    hbg_status st = HBG_OK;
    hbc_image rgb = {0}, sized = {0}, cropped = {0};
    const hbc_image *src = img;
    if (!k || !img || !img->data || !out)
        return hbc_prep_fail(err, errlen, HBG_E_INVALID, "prep kind: missing argument");
    if (img->c == 1) {
        st = hbc_image_alloc(&rgb, img->w, img->h, 3, err, errlen);
        if (st != HBG_OK)
            goto out;
        for (size_t i = 0; i < (size_t)img->w * (size_t)img->h; i++)
            memset(rgb.data + 3 * i, img->data[i], 3);
        src = &rgb;
    }
    if (k->resize_short > 0) {
        st = hbc_image_resize_short(src, k->resize_short, &sized, err, errlen);
        if (st == HBG_OK)
            st = hbc_image_center_crop(&sized, k->w, k->h, &cropped, err, errlen);
    } else {
        st = hbc_image_resize(src, k->w, k->h, &cropped, err, errlen);
    }
    if (st != HBG_OK)
        goto out;
    if (k->bgr)
        hbc_image_swap_rb(&cropped);
    hbc_image_to_chw(&cropped, out);
out:
    hbc_image_free(&rgb);
    hbc_image_free(&sized);
    hbc_image_free(&cropped);
    return st;
}
