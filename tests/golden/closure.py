def closure_jvp(x, y, dx, dy):
    """Value and JVP of closure w.r.t. x, y."""

    def inner(z):
        return z * x

    def inner_jvp(z, dz):
        t1 = z * x
        dt1 = dz * x + z * dx
        return t1, dt1
    t2, dt2 = inner_jvp(y, dz=dy)
    t3, dt3 = inner_jvp(2.0, dz=0.0)
    t4 = t2 + t3
    dt4 = dt2 + dt3
    return t4, dt4
