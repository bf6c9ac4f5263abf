def scalar_expr_jvp(x, dx):
    """Value and JVP of scalar_expr w.r.t. x."""
    t1 = math.sin(x)
    dt1 = dx * math.cos(x)
    t2 = x ** 2
    dt2 = 2 * x * dx
    t3 = t1 * t2
    dt3 = dt1 * t2 + t1 * dt2
    t4 = math.exp(x)
    dt4 = dx * t4
    t5 = t4 / x
    dt5 = (dt4 - dx * t5) / x
    t6 = t3 + t5
    dt6 = dt3 + dt5
    return t6, dt6
