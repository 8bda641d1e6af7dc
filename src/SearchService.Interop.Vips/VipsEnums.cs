namespace SearchService.Interop.Vips;

/// <summary>libvips's <c>VipsBandFormat</c>: the numeric type of one band.</summary>
public enum VipsBandFormat
{
    UChar = 0,
    Char = 1,
    UShort = 2,
    Short = 3,
    UInt = 4,
    Int = 5,
    Float = 6,
    Complex = 7,
    Double = 8,
    DoubleComplex = 9,
}

/// <summary>libvips's <c>VipsInterpretation</c>: how the bands are meant to be read.</summary>
public enum VipsInterpretation
{
    Multiband = 0,
    BlackWhite = 1,
    Histogram = 10,
    Xyz = 12,
    Lab = 13,
    Cmyk = 15,
    LabQ = 16,
    Rgb = 17,
    Cmc = 18,
    Lch = 19,
    LabS = 21,
    Srgb = 22,
    Yxy = 23,
    Fourier = 24,
    Rgb16 = 25,
    Grey16 = 26,
    Matrix = 27,
    ScRgb = 28,
    Hsv = 29,
}
